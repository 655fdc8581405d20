"""Settings: one class per profile, every value overridable by an ``MLAPI_*`` variable.

The profile comes from ``MLAPI_ENV`` (``development`` by default, ``testing``,
``production``). Values are read when the app is created, not at import, so tests can
set variables per app.
"""

import logging
import os
from datetime import timedelta
from pathlib import Path

MIN_SECRET_BYTES = 32
# Keys earlier versions shipped in this file (anyone could sign tokens with them): refused
# as MLAPI_SECRET_KEY in every profile. No key in the source signs anything any more.
PUBLISHED_SECRET_KEYS = frozenset(
    {
        "mlapi-development-secret-key-do-not-use-in-production",
        "mlapi-testing-secret-key-32-bytes-at-least!",
    }
)


class ConfigError(RuntimeError):
    """The settings cannot produce a safe, working app."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean, got {value!r}")  # load_config names the variable


def _seconds(value: str) -> timedelta:
    seconds = int(value)
    if seconds <= 0:
        raise ValueError(f"expected a positive number of seconds, got {value!r}")
    return timedelta(seconds=seconds)


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"expected a whole number of 0 or more, got {value!r}")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(f"expected a positive whole number, got {value!r}")
    return number


# (environment variable, config key, parser)
ENV_SETTINGS: list[tuple[str, str, object]] = [
    ("MLAPI_SECRET_KEY", "SECRET_KEY", str),
    ("MLAPI_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", str),
    ("MLAPI_MODEL_STORE", "MODEL_STORE", str),
    ("MLAPI_JWT_ACCESS_EXPIRES", "JWT_ACCESS_TOKEN_EXPIRES", _seconds),
    ("MLAPI_JWT_REFRESH_EXPIRES", "JWT_REFRESH_TOKEN_EXPIRES", _seconds),
    ("MLAPI_MAX_JSON_BYTES", "MAX_CONTENT_LENGTH", int),
    ("MLAPI_MAX_MODEL_BYTES", "MAX_MODEL_BYTES", int),
    ("MLAPI_ALLOW_PICKLE", "ALLOW_PICKLE", _bool),
    ("MLAPI_MAX_MODEL_NODES", "MAX_MODEL_NODES", int),
    ("MLAPI_MAX_CLASSES", "MAX_CLASSES", int),
    ("MLAPI_AUTO_MIGRATE", "AUTO_MIGRATE", _bool),
    ("MLAPI_PREDICTION_CACHE_SIZE", "PREDICTION_CACHE_SIZE", int),
    ("MLAPI_PREDICTION_CACHE_TTL_SECONDS", "PREDICTION_CACHE_TTL_SECONDS", _seconds),
    ("MLAPI_CACHE_KEY_PREFIX", "CACHE_KEY_PREFIX", str),
    ("MLAPI_MODEL_CACHE_SIZE", "MODEL_CACHE_SIZE", int),
    ("MLAPI_SHARED_CACHE_MIN_MODEL_MS", "SHARED_CACHE_MIN_MODEL_MS", float),
    ("MLAPI_LOG_LEVEL", "LOG_LEVEL", str),
    ("MLAPI_REDIS_URL", "REDIS_URL", str),
    ("MLAPI_RATELIMIT_ENABLED", "RATELIMIT_ENABLED", _bool),
    ("MLAPI_RATELIMIT_LOGIN", "RATELIMIT_LOGIN", str),
    # Deprecated name of the next one (which wins when both are set).
    ("MLAPI_RATELIMIT_LOGIN_FAILURES", "RATELIMIT_LOGIN_ACCOUNT", str),
    ("MLAPI_RATELIMIT_LOGIN_ACCOUNT", "RATELIMIT_LOGIN_ACCOUNT", str),
    ("MLAPI_RATELIMIT_PREDICT", "RATELIMIT_PREDICT", str),
    ("MLAPI_RATELIMIT_DEFAULT", "RATELIMIT_DEFAULT", str),
    ("MLAPI_TRUSTED_PROXIES", "TRUSTED_PROXIES", int),
    ("MLAPI_CORS_ORIGINS", "CORS_ORIGINS", _csv),
    ("MLAPI_WEBHOOK_ALLOW_PRIVATE", "WEBHOOK_ALLOW_PRIVATE", _bool),
    ("MLAPI_WEBHOOK_WORKER", "WEBHOOK_WORKER", _bool),
    ("MLAPI_ACCESS_LISTENER", "ACCESS_LISTENER", _bool),
    ("MLAPI_WEBHOOK_TIMEOUT_SECONDS", "WEBHOOK_TIMEOUT_SECONDS", float),
    ("MLAPI_RATELIMIT_KEY_PREFIX", "RATELIMIT_KEY_PREFIX", str),
    ("MLAPI_LOG_FORMAT", "LOG_FORMAT", str),
    ("MLAPI_MAX_API_KEYS", "MAX_API_KEYS", int),
    ("MLAPI_MAX_WEBHOOKS", "MAX_WEBHOOKS", int),
    ("MLAPI_WEBHOOK_CONCURRENCY", "WEBHOOK_CONCURRENCY", _positive_int),
    ("MLAPI_METRICS_TOKEN", "METRICS_TOKEN", str),
    ("MLAPI_HISTORY_RETENTION_DAYS", "HISTORY_RETENTION_DAYS", _non_negative_int),
    ("MLAPI_AUDIT_RETENTION_DAYS", "AUDIT_RETENTION_DAYS", _non_negative_int),
]


class BaseConfig:
    ENV = "base"
    # None: MLAPI_SECRET_KEY must be set, except in development and testing on one host,
    # where the first start generates a key in the instance folder (create_app).
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: SQLite in the instance folder
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Statement parameters (an email address, a key's digest) never reach a log line or an
    # exception message, whatever log level an operator turns on.
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
    MODEL_STORE: str | None = None  # None: <instance>/models; "db": in the database
    AUTO_MIGRATE = False
    MAX_CONTENT_LENGTH = 1024 * 1024  # JSON bodies; model uploads raise it per request
    MAX_MODEL_BYTES = 50 * 1024 * 1024  # largest model file an upload may carry
    ALLOW_PICKLE = False  # pickle/joblib uploads run code when loaded: off unless trusted
    MAX_MODEL_NODES = 100_000  # objects a skops schema may describe (loading builds each)
    MAX_CLASSES = 1_000  # classes a classifier may have (each answer lists them all)
    PREDICTION_CACHE_SIZE = 10_000
    # How long the shared (Redis) tier keeps an answer; the process LRU keeps it until evicted.
    PREDICTION_CACHE_TTL_SECONDS = timedelta(hours=1)
    CACHE_KEY_PREFIX: str | None = None  # shared cache's Redis keys; None: RATELIMIT_KEY_PREFIX
    MODEL_CACHE_SIZE = 8
    # The shared (Redis) prediction cache is asked only about models whose calls take this
    # much CPU time, and two measured Redis round trips (a miss there: MGET, then SET).
    SHARED_CACHE_MIN_MODEL_MS = 1.0
    LOG_LEVEL = "INFO"
    LOG_FORMAT = "json"  # one JSON line per request; "text" for a human at a terminal
    REDIS_URL: str | None = None  # None: limits and caches live in each process

    # Rate limits (limits' notation); the login budgets are per client address and per
    # account, the second counting failed sign-ins only (known devices exempt from its 429).
    RATELIMIT_ENABLED = True
    RATELIMIT_LOGIN = "10/minute"
    RATELIMIT_LOGIN_ACCOUNT = "10/minute"
    RATELIMIT_PREDICT = "600/minute"
    RATELIMIT_DEFAULT = "120/minute"
    RATELIMIT_KEY_PREFIX = "mlapi"  # deployments sharing one Redis need different ones
    TRUSTED_PROXIES = 0  # how many X-Forwarded-For entries (from the right) to believe

    CORS_ORIGINS: list[str] = []  # browsers of no other origin may call the API

    WEBHOOK_ALLOW_PRIVATE = False  # deliveries to loopback/private/metadata addresses
    WEBHOOK_WORKER = True  # a thread per process sends queued deliveries
    # PostgreSQL: a thread per process LISTENs for access changes (mlapi/access_listener.py),
    # so requests need not read the access counter; off: every request reads it.
    ACCESS_LISTENER = True
    WEBHOOK_TIMEOUT_SECONDS = 5.0
    WEBHOOK_ATTEMPTS = 3
    WEBHOOK_BACKOFF_SECONDS = 1.0  # first retry after this, doubling each time
    WEBHOOK_CONCURRENCY = 8  # deliveries sent at once per process (at most 2 per owner)
    # Counts per user: each key and hook costs the server, so one account cannot hold many.
    MAX_API_KEYS = 20  # live keys (not deleted, not expired)
    MAX_WEBHOOKS = 10
    # Days `flask retention purge` keeps prediction history (with its feedback) and audit
    # records; 0 keeps them forever.
    HISTORY_RETENTION_DAYS = 0
    AUDIT_RETENTION_DAYS = 365
    METRICS_TOKEN: str | None = None  # set: /metrics asks for "Authorization: Bearer <it>"
    # argon2id cost: OWASP's recommended minimum (19 MiB, 2 passes).
    PASSWORD_HASH = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}

    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=30)
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ALGORITHM = "HS256"
    JWT_DECODE_ALGORITHMS = ["HS256"]
    JWT_COOKIE_CSRF_PROTECT = False  # tokens travel in headers only; no csrf claim

    API_TITLE = "mlapi"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    # GET /docs: Swagger UI, its files served by the app (mlapi/ops/docs.py), so it works offline.
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"
    OPENAPI_SWAGGER_UI_CONFIG = {
        "persistAuthorization": True,  # a page reload keeps the token pasted in "Authorize"
        "validatorUrl": None,  # no badge fetched from validator.swagger.io
        "displayRequestDuration": True,
    }
    API_SPEC_OPTIONS = {
        "info": {
            "description": (
                "Serve scikit-learn models to many teams, with accounts, ownership and history. "
                "Every error is an RFC 9457 problem (`application/problem+json`) whose `code` is "
                "stable: clients may branch on it."
            )
        }
    }


class DevelopmentConfig(BaseConfig):
    ENV = "development"
    AUTO_MIGRATE = True
    LOG_LEVEL = "DEBUG"


class TestingConfig(BaseConfig):
    ENV = "testing"
    TESTING = True
    # Cheap hashing keeps the suite fast; production cost is asserted in unit tests.
    PASSWORD_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    WEBHOOK_WORKER = False  # tests deliver explicitly, with a fake clock
    ACCESS_LISTENER = False  # tests that want one start it (tests/postgres)
    LOG_FORMAT = "text"
    # Every test client signs in from 127.0.0.1, some tests dozens of times (the fuzz tests
    # sign in afresh for each logout case); the other budgets keep their defaults, and the
    # rate-limit tests set tiny ones of their own.
    RATELIMIT_LOGIN = "1000/minute"


class ProductionConfig(BaseConfig):
    ENV = "production"


PROFILES = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(overrides: dict | None = None, environ=os.environ) -> dict:
    """Settings of the profile named by ``MLAPI_ENV``, with env vars and overrides applied."""
    overrides = dict(overrides or {})
    profile = overrides.pop("ENV", None) or environ.get("MLAPI_ENV") or "development"
    if profile not in PROFILES:
        raise ConfigError(f"MLAPI_ENV must be one of {', '.join(PROFILES)}, got {profile!r}")
    cls = PROFILES[profile]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    for variable, key, parse in ENV_SETTINGS:
        if variable in environ:
            try:
                settings[key] = parse(environ[variable])
            except ValueError as exc:
                raise ConfigError(f"{variable}: {exc}") from exc
    settings.update(overrides)
    _check(settings)
    return settings


def _check(settings: dict) -> None:
    _check_secret_key(settings)
    level = settings["LOG_LEVEL"]
    if isinstance(level, str):
        level = settings["LOG_LEVEL"] = level.upper()
        if not isinstance(logging.getLevelName(level), int):
            raise ConfigError(
                "MLAPI_LOG_LEVEL must be a logging level name (DEBUG, INFO, "
                f"WARNING, ERROR), got {level!r}"
            )
    if settings["LOG_FORMAT"] not in {"json", "text"}:
        raise ConfigError(f"MLAPI_LOG_FORMAT must be json or text, got {settings['LOG_FORMAT']!r}")


def _check_secret_key(settings: dict) -> None:
    """A key of at least 32 bytes that is not in the source; none is allowed only where a
    key generated in the instance folder is one every worker and host shares."""
    secret = settings.get("SECRET_KEY") or None
    settings["SECRET_KEY"] = secret
    if secret is None:
        if settings["ENV"] == "production":
            raise ConfigError("MLAPI_SECRET_KEY must be set in production")
        if shared_by_hosts(settings):
            raise ConfigError(
                "MLAPI_SECRET_KEY must be set with a database server or "
                "MLAPI_MODEL_STORE=db: each host would generate its own key"
            )
        return
    if secret in PUBLISHED_SECRET_KEYS:
        raise ConfigError("MLAPI_SECRET_KEY is a key published in mlapi's source: set a random one")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"MLAPI_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes")
    settings["JWT_SECRET_KEY"] = secret


def shared_by_hosts(settings: dict) -> bool:
    """Settings of an instance several hosts may serve: a database server rather than a
    SQLite file, or model artifacts in the database."""
    url = settings.get("SQLALCHEMY_DATABASE_URI")
    return settings.get("MODEL_STORE") == "db" or bool(url and not url.startswith("sqlite"))


def resolve_paths(settings: dict, instance_path: str) -> None:
    """Fill in the defaults that live under the instance folder."""
    instance = Path(instance_path)
    if not settings.get("SQLALCHEMY_DATABASE_URI"):
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'mlapi.db'}"
    if not settings.get("MODEL_STORE"):
        settings["MODEL_STORE"] = str(instance / "models")
