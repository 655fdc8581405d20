"""Metrics and logs for operators, wired into an app in one call (docs/observability.md)."""

from flask import Flask

from .logs import configure_logging, init_access_log
from .metrics import init_metrics


def init_observability(app: Flask) -> None:
    """Logging setup, the access log and the request metrics of ``app``.

    Call it first in the factory, before any other request hook: its clocks then start
    before the others run, and requests an earlier hook refuses (415, 429) are timed and
    logged too. ``/metrics`` itself is a view of the operations blueprint.
    """
    configure_logging(app)
    init_access_log(app)
    init_metrics(app)
