"""Prometheus metrics: the request series, and ``/metrics`` for the whole app
(docs/observability.md).

The HTTP series live in a registry of each app's own (tests build many apps in one
process); the domains' counters are module-level in ``mlapi.counters``, at the bottom layer,
so that every domain may count without importing ops.
"""

import hmac

from flask import Flask, Request, Response, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_flask_exporter import PrometheusMetrics

from ..config import ConfigError
from ..errors import Unauthorized
from .recorder import route_template

UNMATCHED = "(unmatched)"
# What .env.production holds until the operator puts a real token in its place.
PLACEHOLDER_TOKEN = "CHANGE-ME"  # noqa: S105

def endpoint(req: Request) -> str:
    """The ``endpoint`` label (the exporter names the label after this function)."""
    return route_template(req.url_rule.rule) if req.url_rule is not None else UNMATCHED


def init_metrics(app: Flask) -> PrometheusMetrics:
    """Count and time every request of ``app`` (``mlapi_http_*``), in a registry of its own.

    Call it before the other request hooks are registered, so the clock starts first and
    requests refused by an earlier hook (415, 429) are timed too.
    """
    token = app.config.get("METRICS_TOKEN")
    if app.config["ENV"] == "production" and token == PLACEHOLDER_TOKEN:
        raise ConfigError("MLAPI_METRICS_TOKEN still holds the sample's placeholder: set a "
                          "token of your own (or unset it to leave /metrics open)")
    registry = CollectorRegistry()
    registry.register(REGISTRY)  # mlapi.counters' series, and process figures
    metrics = PrometheusMetrics(app, path=None, registry=registry, group_by=endpoint,
                                defaults_prefix="mlapi")
    app.extensions["mlapi.metrics"] = metrics
    return metrics


def check_scraper() -> None:
    """401 unless the request carries the configured metrics token (if one is set)."""
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(),
                                                               expected.encode()):
        raise Unauthorized("/metrics needs the scraper's token (MLAPI_METRICS_TOKEN): send "
                           "it as Authorization: Bearer <token>.")


def metrics_response() -> Response:
    """The exposition, in the format the scraper asks for (``Accept``), for a scraper that
    presents the metrics token when one is set."""
    check_scraper()
    request.prom_do_not_track = True  # scrapes are not traffic: not counted or timed
    body, content_type = current_app.extensions["mlapi.metrics"].generate_metrics(
        request.headers.get("Accept"))
    return Response(body, status=200, content_type=content_type)
