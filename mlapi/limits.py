"""Rate limits: who may make how many requests, counted where.

Budgets, each a moving window (``limits`` notation, from the settings):

- sign-in: ``RATELIMIT_LOGIN`` per client address, every attempt counted, here; and
  ``RATELIMIT_LOGIN_ACCOUNT`` failed sign-ins per account, counted in the database by
  ``mlapi.auth.sign_in_budget`` (its 429 carries its own headers, ``g.rate_limit_headers``);
- prediction endpoints: ``RATELIMIT_PREDICT`` per user, shared by the four endpoints and by
  all of the user's tokens and API keys (keys do not multiply the budget);
- every other authenticated endpoint: ``RATELIMIT_DEFAULT`` per user, shared;
- registration (the other anonymous endpoint): ``RATELIMIT_DEFAULT`` per client address.

Budgets of authenticated endpoints are checked inside ``ApiBlueprint.authenticated``,
*after* the credential has been verified: a request with a bad credential (401) spends
nobody's budget, and one with a good credential spends its holder's. The anonymous budgets
run in a before-request hook of the ``accounts`` blueprint, which Flask runs after the
app's own hooks (request id).

Each app gets its own ``Limiter`` (``app.extensions[EXTENSION]``), so its storage, key
prefix and fallback state are its own: a module-level limiter would keep the counters and
the storage of whichever app was built last. Storage is ``memory://`` (per process) unless
``REDIS_URL`` is set; then counters are shared by every worker and host, and while Redis is
down each process counts in memory instead (``swallow_errors`` + in-memory fallback), so an
outage loosens the limits but never fails a request. See docs/rate-limits.md.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from limits import parse_many
from redis.backoff import NoBackoff
from redis.retry import Retry
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import ConfigError

EXTENSION = "mlapi.limits"

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
    ("RATELIMIT_LOGIN_ACCOUNT", "MLAPI_RATELIMIT_LOGIN_ACCOUNT"),
    ("RATELIMIT_PREDICT", "MLAPI_RATELIMIT_PREDICT"),
    ("RATELIMIT_DEFAULT", "MLAPI_RATELIMIT_DEFAULT"),
)

SLOW_DOWN = "Retry after the number of seconds in the Retry-After header."


@dataclass(frozen=True)
class Budgets:
    """One app's limiter and its checks; each check returns, or raises a 429."""

    limiter: Limiter
    login: Callable[[], None]
    anonymous: Callable[[], None]
    predict: Callable[[], None]
    default: Callable[[], None]


def client_address() -> str:
    """The address the request came from: the socket's, or, with ``TRUSTED_PROXIES=N``,
    the one the N-th proxy from the right of ``X-Forwarded-For`` saw (``ProxyFix``)."""
    return request.remote_addr or "unknown"


def _caller_key() -> str:
    """``user:<id>``: every token and API key of a user spends the user's one budget.

    Only ever called after authenticate(). An empty key makes Flask-Limiter skip the
    limit (and log it); raising here would make it think the storage had failed."""
    caller = g.get("caller")
    return f"user:{caller.id}" if caller is not None else ""


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
        anonymous=_check("anonymous", limiter.shared_limit(
            settings["RATELIMIT_DEFAULT"], "anonymous", key_func=client_address,
            error_message=f"Too many requests from this address. {SLOW_DOWN}")),
        predict=_check("predict", limiter.shared_limit(
            settings["RATELIMIT_PREDICT"], "predict", key_func=_caller_key,
            error_message=f"Too many prediction requests from this account. {SLOW_DOWN}")),
        default=_check("default", limiter.shared_limit(
            settings["RATELIMIT_DEFAULT"], "api", key_func=_caller_key,
            error_message=f"Too many requests from this account. {SLOW_DOWN}")),
    )
    app.extensions[EXTENSION] = budgets
    # A blueprint's before-request hooks run after the app's (request id).
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


def limits_enabled() -> bool:
    """Whether this app counts budgets at all (``MLAPI_RATELIMIT_ENABLED``)."""
    return _budgets() is not None


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
    and belongs on the 429 alone (``X-RateLimit-*`` stay on every limited response).

    A budget counted outside Flask-Limiter (an account's sign-ins) leaves the headers of
    its refusal in ``g.rate_limit_headers``: they replace the per-address budget's."""
    own = g.get("rate_limit_headers")
    if own and response.status_code == 429:
        for name, value in own.items():
            response.headers.set(name, value)
        return response
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
