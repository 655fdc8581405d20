"""The domains' Prometheus counters: webhook deliveries, predictions, the prediction cache.

Each domain calls the small functions below rather than touching prometheus_client, so
the names and labels of every series are decided in one place (docs/observability.md).
They live in prometheus_client's default registry, once per process; ``/metrics``
(``mlapi.ops.metrics``) exports them with the request series.
"""

from prometheus_client import Counter

WEBHOOK_DELIVERIES = Counter(
    "mlapi_webhook_deliveries_total", "Webhook delivery attempts by outcome.", ["outcome"]
)
PREDICTIONS = Counter(
    "mlapi_predictions_total",
    "Predictions answered (one per sample), by model and version.",
    ["model_id", "model_version"],
)
PREDICTION_CACHE = Counter(
    "mlapi_prediction_cache_lookups_total",
    "Prediction cache lookups (one per sample) by result: hit or miss.",
    ["result"],
)

SHARED_PREDICTION_CACHE = Counter(
    "mlapi_prediction_shared_cache_lookups_total",
    "Lookups in the shared (Redis) tier after a miss in the process cache, one per sample, "
    "by result: hit, miss or unavailable (Redis down: the model answered).",
    ["result"],
)

for _outcome in ("delivered", "retrying", "failed", "refused"):
    WEBHOOK_DELIVERIES.labels(outcome=_outcome)  # exported at 0 before the first delivery
# The children each prediction counts in, looked up once (issue 17: ``labels()`` validates
# and locks on every call); prometheus_client keeps every child it made anyway.
_CACHE_LOOKUPS = {result: PREDICTION_CACHE.labels(result=result) for result in ("hit", "miss")}
_MODEL_VERSIONS: dict = {}  # (model id, version) -> child of PREDICTIONS
for _result in ("hit", "miss", "unavailable"):
    SHARED_PREDICTION_CACHE.labels(result=_result)


def count_webhook_delivery(outcome: str) -> None:
    """``outcome``: ``delivered``, ``retrying``, ``failed`` or ``refused``."""
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()


def count_predictions(model_id: int, model_version: int, *, hits: int, misses: int) -> None:
    """``hits + misses`` samples answered by one model version, ``hits`` from the cache."""
    answered = _MODEL_VERSIONS.get((model_id, model_version))
    if answered is None:
        answered = _MODEL_VERSIONS[model_id, model_version] = PREDICTIONS.labels(
            model_id=str(model_id), model_version=str(model_version)
        )
    answered.inc(hits + misses)
    if hits:
        _CACHE_LOOKUPS["hit"].inc(hits)
    if misses:
        _CACHE_LOOKUPS["miss"].inc(misses)


def count_shared_cache(result: str, samples: int) -> None:
    """``result``: ``hit``, ``miss`` or ``unavailable``, for ``samples`` lookups in Redis."""
    if samples:
        SHARED_PREDICTION_CACHE.labels(result=result).inc(samples)
