"""How a model is doing: volume and latency of its predictions, error against feedback.

Counts and the mean latency are computed by the database. The p95 latency and the error
(MAE or accuracy) are computed here: the percentile has no portable SQL form, and
predictions and actual values are JSON columns (numbers or class labels), on which SQL
arithmetic is not portable between SQLite and PostgreSQL.
"""

import math

from sqlalchemy import func, select

from ..extensions import db
from ..registry.models import TASK_CLASSIFICATION, MLModel
from .models import Feedback, Prediction


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile: the smallest value at least 95 % of values are <= to."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def model_metrics(record: MLModel) -> dict:
    count, mean_latency = db.session.execute(
        select(func.count(Prediction.id), func.avg(Prediction.latency_ms))
        .where(Prediction.model_id == record.id)).one()
    latencies = db.session.scalars(
        select(Prediction.latency_ms).where(Prediction.model_id == record.id)).all()
    pairs = db.session.execute(
        select(Prediction.prediction, Feedback.actual_value)
        .join(Feedback, Feedback.prediction_id == Prediction.id)
        .where(Prediction.model_id == record.id)).all()
    metrics = {"model_id": record.id, "prediction_count": count, "feedback_count": len(pairs),
               "mean_latency_ms": mean_latency, "p95_latency_ms": p95(latencies)}
    if record.task == TASK_CLASSIFICATION:
        hits = sum(predicted == actual for predicted, actual in pairs)
        metrics["accuracy"] = hits / len(pairs) if pairs else None
    else:
        errors = [abs(actual - predicted) for predicted, actual in pairs]
        metrics["mae"] = sum(errors) / len(errors) if errors else None
    return metrics
