"""Metrics and logs for operators (docs/observability.md): set up in one call, and the
steps of the request pipeline (``mlapi.pipeline``) that observe every request."""

import time

from flask import Flask, Response, g, request

from .logs import configure_logging, log_request
from .metrics import NOT_TRAFFIC, init_metrics, observe_request
from .recorder import record_request, route_template
from .seen import Seen

# The pipeline's observers of a finished request, in their order: each gets the one
# ``Seen`` of the request (no observer reads the clock or names the route again).
OBSERVERS = (
    ("metrics", observe_request),
    ("endpoint stats", record_request),
    ("access log", log_request),
)


def init_observability(app: Flask) -> None:
    """Logging setup and the request metrics of ``app``. ``/metrics`` itself is a view of
    the operations blueprint; the pipeline calls the observers."""
    configure_logging(app)
    init_metrics(app)


def seen_of(response: Response) -> Seen:
    """The request's figures, once: its duration since ``start_request`` (the one clock),
    its route template (named once per route and process) and whether it is traffic (a
    scrape is not). ``g`` and the request are looked up once: each read through a context
    proxy costs a few thousand instructions."""
    request_globals = g._get_current_object()
    current = request._get_current_object()
    started = request_globals.get("request_started")
    rule = current.url_rule
    return Seen(
        method=current.method,
        endpoint=route_template(rule.rule) if rule is not None else None,
        status=response.status_code,
        seconds=time.perf_counter() - started if started is not None else None,
        traffic=not request_globals.get(NOT_TRAFFIC),
    )
