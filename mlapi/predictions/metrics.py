"""How a model is doing: volume and latency of its predictions, error against feedback
(docs/decisions.md#predictions).

The p95 and the error are computed here, not in SQL: the percentile has no portable SQL form,
and predictions and actual values are JSON columns.
"""

import math

from sqlalchemy import func, select

from ..extensions import db
from ..registry.models import TASK_CLASSIFICATION, MLModel
from .models import Feedback, Prediction

FEEDBACK_SCOPES = ("all", "own")
ERROR_TOO_LARGE = (
    "mae is null: the error between a prediction and its feedback is too "
    "large for a floating-point number."
)


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile: the smallest value at least 95 % of values are <= to."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def mean_absolute_error(pairs) -> tuple[float | None, str | None]:
    """(MAE, why it is null) over ``(predicted, actual)`` pairs of finite numbers.

    A running mean: never above the largest error, so it cannot overflow where the sum of
    the errors would. One error that is itself not finite (``|1e308 - (-1e308)|``) has no
    mean to join: the MAE is then null, with the reason."""
    mean = None
    for count, (predicted, actual) in enumerate(pairs, start=1):
        error = abs(float(actual) - float(predicted))
        if not math.isfinite(error):
            return None, ERROR_TOO_LARGE
        mean = error if mean is None else mean + (error - mean) / count
    return mean, None


def model_metrics(record: MLModel, feedback_scope: str = "all") -> dict:
    count, mean_latency = db.session.execute(
        select(func.count(Prediction.id), func.avg(Prediction.latency_ms)).where(
            Prediction.model_id == record.id
        )
    ).one()
    latencies = db.session.scalars(
        select(Prediction.latency_ms).where(Prediction.model_id == record.id)
    ).all()
    given = (
        select(Prediction.prediction, Feedback.actual_value)
        .join(Feedback, Feedback.prediction_id == Prediction.id)
        .where(Prediction.model_id == record.id)
    )
    if feedback_scope == "own":  # feedback is given by the prediction's owner
        given = given.where(Prediction.owner_id == record.owner_id)
    pairs = db.session.execute(given).all()
    metrics = {
        "model_id": record.id,
        "feedback_scope": feedback_scope,
        "prediction_count": count,
        "feedback_count": len(pairs),
        "mean_latency_ms": mean_latency,
        "p95_latency_ms": p95(latencies),
    }
    if record.task == TASK_CLASSIFICATION:
        hits = sum(predicted == actual for predicted, actual in pairs)
        metrics["accuracy"] = hits / len(pairs) if pairs else None
        metrics["metrics_note"] = None
    else:
        metrics["mae"], metrics["metrics_note"] = mean_absolute_error(pairs)
    return metrics
