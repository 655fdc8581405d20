"""Prometheus metrics: the request series, and ``/metrics`` for the whole app
(docs/observability.md).

The HTTP series live in a registry of each app's own (tests build many apps in one
process); the domains' counters are module-level in ``mlapi.counters``, at the bottom layer,
so that every domain may count without importing ops.

prometheus_flask_exporter writes ``/metrics`` (and its ``mlapi_exporter_info``); the request
series it would observe from three request hooks of its own, with a clock and a route name
of its own, are observed here instead by the pipeline's metrics step, with the request's
one clock and route name (``Seen``), under the exporter's names, labels and help texts.
"""

import hmac

from flask import Flask, Response, current_app, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_flask_exporter import PrometheusMetrics

from ..config import ConfigError
from ..errors import Unauthorized
from .seen import Seen

UNMATCHED = "(unmatched)"
# What .env.production holds until the operator puts a real token in its place.
PLACEHOLDER_TOKEN = "CHANGE-ME"  # noqa: S105
EXTENSION = "mlapi.metrics"
SERIES = "mlapi.request_series"
NOT_TRAFFIC = "mlapi_not_traffic"  # set on g for a scrape: not counted or timed


class RequestSeries:
    """``mlapi_http_request_duration_seconds`` (method, endpoint, status),
    ``mlapi_http_request_total`` and ``mlapi_http_request_exceptions_total`` (method, status).

    Each label set's children are looked up once and kept (``labels()`` would convert the
    values to strings and take the metric's lock on every request); their number is
    bounded by the labels' own (docs/observability.md#cardinality).
    """

    def __init__(self, registry: CollectorRegistry):
        self.duration = Histogram(
            "mlapi_http_request_duration_seconds",
            "Flask HTTP request duration in seconds",
            ("method", "endpoint", "status"),
            registry=registry,
        )
        self.total = Counter(
            "mlapi_http_request_total",
            "Total number of HTTP requests",
            ("method", "status"),
            registry=registry,
        )
        self.exceptions = Counter(
            "mlapi_http_request_exceptions_total",
            "Total number of HTTP requests which resulted in an exception",
            ("method", "status"),
            registry=registry,
        )
        self._children: dict[tuple[str, str, int], tuple] = {}

    def observe(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        key = (method, endpoint, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.duration.labels(method, endpoint, status),
                self.total.labels(method, status),
            )
        children[0].observe(max(seconds, 0.0))
        children[1].inc()


def init_metrics(app: Flask) -> PrometheusMetrics:
    """The app's registry, its request series and the exporter that writes ``/metrics``."""
    token = app.config.get("METRICS_TOKEN")
    if app.config["ENV"] == "production" and token == PLACEHOLDER_TOKEN:
        raise ConfigError(
            "MLAPI_METRICS_TOKEN still holds the sample's placeholder: set a "
            "token of your own (or unset it to leave /metrics open)"
        )
    registry = CollectorRegistry()
    registry.register(REGISTRY)  # mlapi.counters' series, and process figures
    metrics = PrometheusMetrics(app, path=None, registry=registry, export_defaults=False)
    metrics.info(
        "mlapi_exporter_info",
        "Information about the Prometheus Flask exporter",
        version=metrics.version,
    )
    app.extensions[EXTENSION] = metrics
    app.extensions[SERIES] = RequestSeries(registry)
    return metrics


def observe_request(seen: Seen) -> None:
    """The metrics step of the pipeline: one observation per request, scrapes excepted."""
    if seen.seconds is None or not seen.traffic:
        return
    current_app._get_current_object().extensions[SERIES].observe(
        seen.method, seen.endpoint or UNMATCHED, seen.status, seen.seconds
    )


def count_exception(error: BaseException | None) -> None:
    """A teardown step: a request that ended in an exception no error handler turned into
    a response (the exporter's ``mlapi_http_request_exceptions_total``)."""
    if error is not None and not g.get(NOT_TRAFFIC):
        current_app.extensions[SERIES].exceptions.labels(request.method, 500).inc()


def check_scraper() -> None:
    """401 unless the request carries the configured metrics token (if one is set)."""
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected.encode()
    ):
        raise Unauthorized(
            "/metrics needs the scraper's token (MLAPI_METRICS_TOKEN): send "
            "it as Authorization: Bearer <token>."
        )


def metrics_response() -> Response:
    """The exposition, in the format the scraper asks for (``Accept``), for a scraper that
    presents the metrics token when one is set."""
    check_scraper()
    setattr(g, NOT_TRAFFIC, True)  # scrapes are not traffic: not counted or timed
    body, content_type = current_app.extensions[EXTENSION].generate_metrics(
        request.headers.get("Accept")
    )
    return Response(body, status=200, content_type=content_type)
