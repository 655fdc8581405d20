"""One request pipeline (issue 17, decision 4; docs/performance.md, "One request pipeline").

Every hook a request passes through is declared here, in the order it runs, and registered
nowhere else: the domain modules export their hook functions, and the hooks extensions
register on their own when they are initialised (Flask-Limiter, flask-cors, the access
cache) are adopted into their declared place. ``install`` refuses to start an app holding
a request hook this declaration does not name.

Flask then holds one function per kind (before, after, teardown), which calls the steps
in order: for each hook it holds, Flask would ask ``inspect`` on every request whether it
is a coroutine (``ensure_sync``). After the response steps, the request's figures are
worked out once (``Seen``: one clock, one route name) for the observers: metrics,
endpoint stats and the access log, whose line is written off the request thread
(``mlapi.ops.logs``).

Not steps: the body checks and the credential check run inside each operation
(``mlapi.api``), after routing, in the documented order of refusals (docs/api.md).
"""

from collections.abc import Callable
from dataclasses import dataclass
from inspect import CO_COROUTINE
from types import MethodType

from flask import Flask, Response

from .access_cache import forget_epoch
from .access_listener import start_hook as access_listener_hook
from .bootstrap import require_schema
from .http import finish, start_request
from .limits import limiter_hooks, retry_after_only_on_429
from .ops.metrics import count_exception
from .ops.observability import OBSERVERS, seen_of
from .webhooks.worker import start_hook as webhook_worker_hook

KINDS = ("before", "after", "teardown")


@dataclass(frozen=True, repr=False)
class Pipeline:
    """The steps of one app, each a (name, function) pair, in the order they run."""

    before: tuple[tuple[str, Callable[[], None]], ...]
    response: tuple[tuple[str, Callable[[Response], Response]], ...]
    observers: tuple[tuple[str, Callable], ...]
    teardown: tuple[tuple[str, Callable[[BaseException | None], None]], ...]

    def run_before(self) -> Response | None:
        for _, step in self.before:
            answer = step()  # a step refuses by raising (problem+json), as a rule
            if answer is not None:
                return answer
        return None

    def run_after(self, response: Response) -> Response:
        for _, step in self.response:
            response = step(response)
        seen = seen_of(response)
        for _, observe in self.observers:
            observe(seen)
        return response

    def run_teardown(self, error: BaseException | None = None) -> None:
        for _, step in self.teardown:
            step(error)

    def names(self) -> dict[str, list[str]]:
        return {
            "before": [name for name, _ in self.before],
            "after": [name for name, _ in (*self.response, *self.observers)],
            "teardown": [name for name, _ in self.teardown],
        }


def _registered(app: Flask) -> dict[str, list[Callable]]:
    return {kind: list(getattr(app, f"{kind}_request_funcs").get(None, ())) for kind in KINDS}


def declare(app: Flask) -> tuple[Pipeline, dict[str, list[Callable]]]:
    """The app's pipeline, and the hooks of extensions it adopts (by kind)."""
    limiter = limiter_hooks(app)
    cors = [
        hook
        for hook in _registered(app)["after"]
        if getattr(hook, "__name__", "") == "cors_after_request"
    ]
    worker = webhook_worker_hook(app)
    listener = access_listener_hook(app)
    before = [
        ("request id and clock", start_request),
        ("access cache: forget the last request's epoch", forget_epoch),
    ]
    if listener is not None:
        before.append(("access listener of this process", listener))
    # Flask-Limiter's before-request pass is adopted but not run: it checks the limits of
    # the app, its blueprints and its decorated views, and this app has none of them (its
    # default limits are switched off, ``mlapi.limits``): every budget is spent inside the
    # view that declares it, where Flask-Limiter checks the decorated budget itself. The
    # empty pass cost ~400,000 instructions a request (docs/performance.md).
    if worker is not None:
        before.append(("webhook worker of this process", worker))
    before.append(("schema present (first start)", require_schema))
    response = [
        ("request id and security headers", finish),
        *(("CORS headers (flask-cors)", hook) for hook in cors),
        *(("rate-limit headers (Flask-Limiter)", hook) for hook in limiter["after"]),
        ("Retry-After only on 429", retry_after_only_on_429),
    ]
    teardown = [
        *(("rate limiter context (Flask-Limiter)", hook) for hook in limiter["teardown"]),
        ("metrics: unhandled exceptions", count_exception),
    ]
    adopted = {
        "before": [hook for hook in limiter["before"] if hook in _registered(app)["before"]],
        "after": [*cors, *limiter["after"]],
        "teardown": list(limiter["teardown"]),
    }
    pipeline = Pipeline(tuple(before), tuple(response), OBSERVERS, tuple(teardown))
    return pipeline, adopted


def install(app: Flask) -> Pipeline:
    """Replace every request hook of ``app`` by the declared pipeline; refuse (at start) a
    hook that is not declared, or one registered for a single blueprint."""
    pipeline, adopted = declare(app)
    for kind, hooks in _registered(app).items():
        unknown = [hook for hook in hooks if hook not in adopted[kind]]
        if unknown:
            raise RuntimeError(
                f"{kind}_request hooks not declared in mlapi.pipeline: "
                f"{', '.join(map(repr, unknown))}"
            )
    for kind in KINDS:
        hooks = getattr(app, f"{kind}_request_funcs")
        scoped = [name for name, funcs in hooks.items() if name is not None and funcs]
        if scoped:
            raise RuntimeError(
                f"{kind}_request hooks of blueprints {scoped}: declare them in mlapi.pipeline"
            )
        hooks.clear()
    app.before_request(pipeline.run_before)
    app.after_request(pipeline.run_after)
    app.teardown_request(pipeline.run_teardown)
    app.ensure_sync = MethodType(ensure_sync, app)
    app.extensions["mlapi.pipeline"] = pipeline
    return pipeline


def ensure_sync(app: Flask, func: Callable) -> Callable:
    """Flask's ``ensure_sync``, which it asks of each view, hook and teardown function on
    every request (about eight a request): a plain function or method (its code not a
    coroutine's) is answered from its code flags, without ``inspect.iscoroutinefunction``'s
    walk; anything else (``async def``, a partial, a callable object, a function marked a
    coroutine) is Flask's to judge."""
    code = getattr(func, "__code__", None)
    if code is None or code.co_flags & CO_COROUTINE or hasattr(func, "_is_coroutine_marker"):
        return Flask.ensure_sync(app, func)
    return func
