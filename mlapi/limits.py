"""Rate limits: who may make how many requests, counted where (docs/rate-limits.md).

Each view declares the budget it spends (``budget=`` of ``ApiBlueprint.authenticated`` or
``ApiBlueprint.anonymous``); each app has its own ``Limiter`` (``app.extensions[EXTENSION]``):
a module-level one would keep the storage and counters of whichever app was built last.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from limits import parse_many
from redis.backoff import NoBackoff
from redis.retry import Retry

from .config import ConfigError

EXTENSION = "mlapi.limits"

# The budgets a view may declare: per user (spent after authentication), and per client
# address (the anonymous views).
CALLER_BUDGETS = ("predict", "default")
ADDRESS_BUDGETS = ("login", "register")
# Where a view's declaration is kept: an attribute that functools.wraps carries outwards.
_DECLARED = "mlapi_budget"

# A hung Redis must not hold requests for long: short timeouts, one retry, then the
# in-memory fallback takes over.
REDIS_STORAGE_OPTIONS = {
    "socket_connect_timeout": 0.5,
    "socket_timeout": 0.5,
    "retry": Retry(NoBackoff(), 1),
}

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
    register: Callable[[], None]
    predict: Callable[[], None]
    default: Callable[[], None]


def client_address() -> str:
    """The address the request came from: the socket's, or, with ``TRUSTED_PROXIES=N``,
    the one the N-th proxy from the right of ``X-Forwarded-For`` saw (``ProxyFix``, which
    the app factory puts in front of the app)."""
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
        raise ConfigError(
            f"{variable}: expected a rate limit such as '10/minute', got {value!r}"
        ) from exc
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
    """Build the app's limiter and budgets."""
    settings = {setting: _parsed(app, setting, variable) for setting, variable in LIMIT_SETTINGS}

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
    limiter.init_app(app)  # its request hooks: see ``limiter_hooks``
    # Flask-Limiter reads ``RATELIMIT_DEFAULT`` as a limit on *every* route, counted before
    # the view (so before authentication) by client address. Here that setting is the
    # budget of each authenticated caller, spent by the views that declare it.
    limiter.limit_manager.set_default_limits([])

    budgets = Budgets(
        limiter=limiter,
        login=_check(
            "login",
            limiter.shared_limit(
                settings["RATELIMIT_LOGIN"],
                "login-address",
                key_func=client_address,
                error_message=f"Too many sign-in attempts from this address. {SLOW_DOWN}",
            ),
        ),
        register=_check(
            "anonymous",
            limiter.shared_limit(
                settings["RATELIMIT_DEFAULT"],
                "anonymous",
                key_func=client_address,
                error_message=f"Too many requests from this address. {SLOW_DOWN}",
            ),
        ),
        predict=_check(
            "predict",
            limiter.shared_limit(
                settings["RATELIMIT_PREDICT"],
                "predict",
                key_func=_caller_key,
                error_message=f"Too many prediction requests from this account. {SLOW_DOWN}",
            ),
        ),
        default=_check(
            "default",
            limiter.shared_limit(
                settings["RATELIMIT_DEFAULT"],
                "api",
                key_func=_caller_key,
                error_message=f"Too many requests from this account. {SLOW_DOWN}",
            ),
        ),
    )
    app.extensions[EXTENSION] = budgets
    return budgets


def _budgets() -> Budgets | None:
    budgets = current_app.extensions.get(EXTENSION)
    if budgets is None or not budgets.limiter.enabled:
        return None
    return budgets


def declare_budget(view: Callable, budget: str, allowed: tuple[str, ...]) -> None:
    """Record on ``view`` the budget it spends; a second declaration is a mistake."""
    if budget not in allowed:
        raise ValueError(f"budget {budget!r}: expected one of {', '.join(allowed)}")
    already = declared_budget(view)
    if already is not None:
        raise ValueError(f"{view.__qualname__} already spends the {already!r} budget")
    setattr(view, _DECLARED, budget)


def declared_budget(view: Callable) -> str | None:
    """The budget a view function declared (``declare_budget``), if any."""
    return getattr(view, _DECLARED, None)


def spend(budget: str) -> None:
    """Spend one request of ``budget`` (429 when it is used up): a caller budget once the
    caller is authenticated (``g.caller``), an address budget at any time."""
    budgets = _budgets()
    if budgets is not None:
        getattr(budgets, budget)()


def limits_enabled() -> bool:
    """Whether this app counts budgets at all (``MLAPI_RATELIMIT_ENABLED``)."""
    return _budgets() is not None


def limiter_hooks(app: Flask) -> dict[str, list[Callable]]:
    """The request hooks Flask-Limiter's ``init_app`` registered on ``app`` (before, after,
    teardown: its context, and the ``X-RateLimit-*`` headers of the limit a view spent),
    found by their owner, for ``mlapi.pipeline`` to run in their declared place."""
    budgets = app.extensions.get(EXTENSION)
    limiter = budgets.limiter if budgets is not None else None

    def owned(hook) -> bool:
        owner = getattr(hook, "__self__", None)
        if isinstance(hook, partial):
            owner = hook.args[0] if hook.args else None
        return limiter is not None and owner is limiter

    return {
        kind: [hook for hook in getattr(app, f"{kind}_request_funcs").get(None, ()) if owned(hook)]
        for kind in ("before", "after", "teardown")
    }


def retry_after_only_on_429(response: Response) -> Response:
    """Flask-Limiter writes ``Retry-After`` on every limited response; it means "wait"
    and belongs on the 429 alone (``X-RateLimit-*`` stay on every limited response).

    A budget counted outside Flask-Limiter (an account's sign-ins) leaves the headers of
    its refusal in ``g.rate_limit_headers``: they replace the per-address budget's."""
    if response.status_code == 429:
        own = g.get("rate_limit_headers")
        for name, value in (own or {}).items():
            response.headers.set(name, value)
        return response
    for name, _ in response.headers:  # one pass; ``in`` would raise a KeyError to say no
        if name.lower() == "retry-after":
            break
    else:  # most responses: nothing to look up
        return response
    budgets = current_app.extensions.get(EXTENSION)
    if budgets is not None and budgets.limiter.current_limit is not None:
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
