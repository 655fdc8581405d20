"""Prometheus metrics: the domains' counters, and ``/metrics`` for the whole app.

Each domain calls the small functions below rather than touching prometheus_client, so
the names and labels of every series are decided in one place (docs/observability.md).

Two kinds of series, two registries:

- The domain counters (webhooks, predictions, the prediction cache) are module-level,
  created once per process in prometheus_client's default registry.
- The HTTP series come from prometheus_flask_exporter, created by ``init_metrics`` for
  each app in a registry of that app's own. Tests build one app per test in one process:
  per-app instruments in the default registry would clash ("Duplicated timeseries"). The
  app's registry also collects the default one, so ``/metrics`` shows both.

Labels stay bounded: requests are labelled by route template (``/api/v1/models/{model_id}``),
never by raw path; a request that matches no route is ``endpoint="(unmatched)"``.

``/metrics`` names every model, private ones included: with ``METRICS_TOKEN`` set
(``MLAPI_METRICS_TOKEN``) it answers only ``Authorization: Bearer <that token>``; unset, it is
open, for deployments whose proxy keeps it internal.

With ``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts, as gunicorn needs),
prometheus_client writes every series to files there and the exporter answers ``/metrics``
from all of them through ``MultiProcessCollector``: the figures of every worker, not of
the one that happened to answer.
"""

import hmac

from flask import Flask, Request, Response, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter
from prometheus_flask_exporter import PrometheusMetrics

from ..admin.recorder import route_template
from ..config import ConfigError
from ..errors import Unauthorized

UNMATCHED = "(unmatched)"
# What .env.production holds until the operator puts a real token in its place.
PLACEHOLDER_TOKEN = "CHANGE-ME"  # noqa: S105

WEBHOOK_DELIVERIES = Counter(
    "mlapi_webhook_deliveries_total", "Webhook delivery attempts by outcome.", ["outcome"])
PREDICTIONS = Counter(
    "mlapi_predictions_total", "Predictions answered (one per sample), by model and version.",
    ["model_id", "model_version"])
PREDICTION_CACHE = Counter(
    "mlapi_prediction_cache_lookups_total",
    "Prediction cache lookups (one per sample) by result: hit or miss.", ["result"])

SHARED_PREDICTION_CACHE = Counter(
    "mlapi_prediction_shared_cache_lookups_total",
    "Lookups in the shared (Redis) tier after a miss in the process cache, one per sample, "
    "by result: hit, miss or unavailable (Redis down: the model answered).", ["result"])

for _outcome in ("delivered", "retrying", "failed", "refused"):
    WEBHOOK_DELIVERIES.labels(outcome=_outcome)  # exported at 0 before the first delivery
for _result in ("hit", "miss"):
    PREDICTION_CACHE.labels(result=_result)
for _result in ("hit", "miss", "unavailable"):
    SHARED_PREDICTION_CACHE.labels(result=_result)


def count_webhook_delivery(outcome: str) -> None:
    """``outcome``: ``delivered``, ``retrying``, ``failed`` or ``refused``."""
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()


def count_predictions(model_id: int, model_version: int, *, hits: int, misses: int) -> None:
    """``hits + misses`` samples answered by one model version, ``hits`` from the cache."""
    PREDICTIONS.labels(model_id=str(model_id), model_version=str(model_version)).inc(
        hits + misses)
    if hits:
        PREDICTION_CACHE.labels(result="hit").inc(hits)
    if misses:
        PREDICTION_CACHE.labels(result="miss").inc(misses)


def count_shared_cache(result: str, samples: int) -> None:
    """``result``: ``hit``, ``miss`` or ``unavailable``, for ``samples`` lookups in Redis."""
    if samples:
        SHARED_PREDICTION_CACHE.labels(result=result).inc(samples)


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
    registry.register(REGISTRY)  # the module-level counters above, and process figures
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
