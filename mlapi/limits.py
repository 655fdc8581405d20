"""Rate limits (SPEC §4, Operations): who may make how many requests, counted where.

Budgets, each a moving window (``limits`` notation, from the settings):

- sign-in: ``RATELIMIT_LOGIN`` per client address, every attempt counted; and
  ``RATELIMIT_LOGIN_FAILURES`` per identifier (the username or email address sent,
  lower-cased, as the sign-in looks it up), spent and checked only once the password has
  been found wrong (``spend_failed_sign_in``): a correct password always signs in, so
  nobody can lock a user out by guessing, while wrong guesses past the budget get 429;
- prediction endpoints: ``RATELIMIT_PREDICT`` per credential (``credential_key()``: each
  API key has its own budget, a user's tokens share one), shared by the four endpoints;
- every other authenticated endpoint: ``RATELIMIT_DEFAULT`` per credential, shared;
- registration (the other anonymous endpoint): ``RATELIMIT_DEFAULT`` per client address.

Budgets of authenticated endpoints are checked inside ``ApiBlueprint.authenticated``,
*after* the credential has been verified: a request with a bad credential (401) spends
nobody's budget, and one with a good credential spends its holder's. The anonymous budgets
run in a before-request hook of the ``accounts`` blueprint, which Flask runs after the
app's own hooks (request id, body checks).

Each app gets its own ``Limiter`` (``app.extensions[EXTENSION]``), so its storage, key
prefix and fallback state are its own: a module-level limiter would keep the counters and
the storage of whichever app was built last. Storage is ``memory://`` (per process) unless
``REDIS_URL`` is set; then counters are shared by every worker and host, and while Redis is
down each process counts in memory instead (``swallow_errors`` + in-memory fallback), so an
outage loosens the limits but never fails a request. See docs/rate-limits.md.
"""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from limits import parse_many
from redis.backoff import NoBackoff
from redis.retry import Retry
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from .auth.credentials import credential_key
from .config import ConfigError

EXTENSION = "mlapi.limits"

log = logging.getLogger("mlapi.limits")

# The anonymous endpoints, all in the accounts blueprint (refresh needs a token: it is an
# authenticated endpoint).
ANONYMOUS_BLUEPRINT = "accounts"
LOGIN_ENDPOINT = "accounts.Login"
REGISTER_ENDPOINT = "accounts.Register"
# The endpoints that spend the prediction budget; tests/unit/test_limits.py checks that
# every route ending in "predict" is here.
PREDICTION_ENDPOINTS = frozenset({
    "predictions.Predict", "predictions.BatchPredict",
    "predictions.ModelPredict", "predictions.ModelBatchPredict",
})

# A hung Redis must not hold requests for long: short timeouts, one retry, then the
# in-memory fallback takes over.
REDIS_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5,
                         "retry": Retry(NoBackoff(), 1)}

# (setting, environment variable) of each budget, checked when the app is built.
LIMIT_SETTINGS = (
    ("RATELIMIT_LOGIN", "MLAPI_RATELIMIT_LOGIN"),
    ("RATELIMIT_LOGIN_FAILURES", "MLAPI_RATELIMIT_LOGIN_FAILURES"),
    ("RATELIMIT_PREDICT", "MLAPI_RATELIMIT_PREDICT"),
    ("RATELIMIT_DEFAULT", "MLAPI_RATELIMIT_DEFAULT"),
)

SLOW_DOWN = "Retry after the number of seconds in the Retry-After header."


@dataclass(frozen=True)
class Budgets:
    """One app's limiter and its checks; each check returns, or raises a 429."""

    limiter: Limiter
    login: Callable[[], None]
    login_failure: Callable[[], None]
    anonymous: Callable[[], None]
    predict: Callable[[], None]
    default: Callable[[], None]


def client_address() -> str:
    """The address the request came from: the socket's, or, with ``TRUSTED_PROXIES=N``,
    the one the N-th proxy from the right of ``X-Forwarded-For`` saw (``ProxyFix``)."""
    return request.remote_addr or "unknown"


def login_identifier() -> str | None:
    """The username or email address a sign-in names, as the lookup sees it (lower-cased),
    or None when the body names none (then the body is refused anyway, with 400/422)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None
    identifier = body.get("username") or body.get("email")
    if not isinstance(identifier, str) or not identifier:
        return None
    return identifier.lower()


def login_identifier_key() -> str:
    """The per-identifier budget's key: a digest, so no username or email address is kept
    in the limit storage (Redis) in clear."""
    identifier = login_identifier() or ""
    return "login:" + hashlib.sha256(identifier.encode()).hexdigest()[:32]


def _caller_key() -> str:
    # Only ever called after authenticate(). An empty key makes Flask-Limiter skip the
    # limit (and log it); raising here would make it think the storage had failed.
    return credential_key() or ""


def _parsed(app: Flask, setting: str, variable: str) -> str:
    value = app.config[setting]
    try:
        if not parse_many(value):
            raise ValueError("no limit given")
    except ValueError as exc:
        raise ConfigError(f"{variable}: expected a rate limit such as '10/minute', "
                          f"got {value!r}") from exc
    return value


def _check(name: str, *limits: Callable[[Callable], Callable]) -> Callable[[], None]:
    """A function whose call checks ``limits`` (``limiter.shared_limit`` decorators).

    Flask-Limiter checks a decorated limit inside the decorator's wrapper, when it is
    called; each check gets a distinct qualified name, under which the limiter files its
    limits."""

    def check() -> None:
        return None

    check.__name__ = check.__qualname__ = f"budget_{name}"
    for limit in limits:
        check = limit(check)
    return check


def init_limits(app: Flask) -> Budgets | None:
    """Trust the configured proxies, then build the app's limiter and budgets."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies < 0:
        raise ConfigError(f"MLAPI_TRUSTED_PROXIES must be 0 or more, got {proxies}")
    if proxies:
        # Only the address: X-Forwarded-Proto/Host are not this module's business.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=0)
    settings = {setting: _parsed(app, setting, variable)
                for setting, variable in LIMIT_SETTINGS}

    redis_url = app.config.get("REDIS_URL")
    prefix = app.config["RATELIMIT_KEY_PREFIX"]
    limiter = Limiter(
        client_address,
        storage_uri=redis_url or "memory://",
        storage_options=dict(REDIS_STORAGE_OPTIONS) if redis_url else {},
        strategy="moving-window",
        headers_enabled=True,
        swallow_errors=True,  # Redis down: never a 500 ...
        in_memory_fallback_enabled=True,  # ... but per-process counts until it is back
        key_prefix=prefix,
        enabled=bool(app.config.get("RATELIMIT_ENABLED", True)),
    )
    # Registered before the limiter's own after-request hook, so it runs after it.
    app.after_request(_retry_after_only_on_429)
    limiter.init_app(app)
    # Flask-Limiter reads ``RATELIMIT_DEFAULT`` as a limit on *every* route, counted before
    # the view (so before authentication) by client address. Here that setting is the
    # budget of each authenticated caller, applied in ``check_caller_budget``.
    limiter.limit_manager.set_default_limits([])

    budgets = Budgets(
        limiter=limiter,
        login=_check("login", limiter.shared_limit(
            settings["RATELIMIT_LOGIN"], "login-address", key_func=client_address,
            error_message=f"Too many sign-in attempts from this address. {SLOW_DOWN}")),
        login_failure=_check("login_failure", limiter.shared_limit(
            settings["RATELIMIT_LOGIN_FAILURES"], "login-failures",
            key_func=login_identifier_key, exempt_when=lambda: login_identifier() is None,
            error_message=f"Too many failed sign-ins for this account. {SLOW_DOWN}")),
        anonymous=_check("anonymous", limiter.shared_limit(
            settings["RATELIMIT_DEFAULT"], "anonymous", key_func=client_address,
            error_message=f"Too many requests from this address. {SLOW_DOWN}")),
        predict=_check("predict", limiter.shared_limit(
            settings["RATELIMIT_PREDICT"], "predict", key_func=_caller_key,
            error_message=f"Too many prediction requests with this credential. {SLOW_DOWN}")),
        default=_check("default", limiter.shared_limit(
            settings["RATELIMIT_DEFAULT"], "api", key_func=_caller_key,
            error_message=f"Too many requests with this credential. {SLOW_DOWN}")),
    )
    app.extensions[EXTENSION] = budgets
    # A blueprint's before-request hooks run after the app's (request id, body checks).
    app.before_request_funcs.setdefault(ANONYMOUS_BLUEPRINT, []).append(
        _check_anonymous_budget)
    return budgets


def _budgets() -> Budgets | None:
    budgets = current_app.extensions.get(EXTENSION)
    if budgets is None or not budgets.limiter.enabled:
        return None
    return budgets


def check_caller_budget() -> None:
    """Spend one request of the authenticated caller's budget (429 when it is used up).

    Called by ``ApiBlueprint.authenticated`` right after ``authenticate()``."""
    budgets = _budgets()
    if budgets is None:
        return
    if request.endpoint in PREDICTION_ENDPOINTS:
        budgets.predict()
    else:
        budgets.default()


def spend_failed_sign_in() -> None:
    """Count a sign-in whose password was wrong against its identifier's budget; 429 (in
    place of the 401) once the budget is spent. Called only for wrong passwords, so the
    account's owner, who knows the password, is never locked out by someone guessing."""
    budgets = _budgets()
    if budgets is None:
        return
    try:
        budgets.login_failure()
    except HTTPException:
        log.warning("failed sign-ins for one account exceed its budget (request_id=%s)",
                    g.get("request_id"))
        raise


def _check_anonymous_budget() -> None:
    budgets = _budgets()
    if budgets is None or request.method == "OPTIONS":  # a CORS preflight spends nothing
        return
    if request.endpoint == LOGIN_ENDPOINT:
        budgets.login()
    elif request.endpoint == REGISTER_ENDPOINT:
        budgets.anonymous()


def _retry_after_only_on_429(response: Response) -> Response:
    """Flask-Limiter writes ``Retry-After`` on every limited response; it means "wait"
    and belongs on the 429 alone (``X-RateLimit-*`` stay on every limited response)."""
    budgets = current_app.extensions.get(EXTENSION)
    if (response.status_code != 429 and budgets is not None
            and budgets.limiter.current_limit is not None):
        response.headers.pop("Retry-After", None)
    return response


def reset_limits(app: Flask) -> None:
    """Forget every count of ``app``'s in-process storage (tests; a no-op for Redis, whose
    keys carry the app's prefix and expire on their own)."""
    budgets = app.extensions.get(EXTENSION)
    if budgets is None or not budgets.limiter.initialized:
        return
    if not app.config.get("REDIS_URL"):
        budgets.limiter.reset()
