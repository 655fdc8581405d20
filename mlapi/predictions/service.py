"""Answering predictions and keeping the history.

The hot path: the estimator is warm in the per-process LRU, identical inputs from the same
user to the same model version come from the prediction cache without calling the model
(the per-process LRU first, then the shared Redis tier of mlapi/predictions/shared_cache.py
when ``REDIS_URL`` is set), and the history row is one indexed insert committed before the
answer is returned (one round trip, asynchronous commit on PostgreSQL: see
mlapi/predictions/history_writer.py). A one-target LinearRegression is evaluated by its
arithmetic alone, bit for bit what ``predict()`` gives (mlapi/predictions/arithmetic.py).
"""

import math
from dataclasses import asdict, dataclass
from time import perf_counter, thread_time

import numpy as np
from sqlalchemy import select

from ..counters import count_predictions
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..pagination import Page, paginate
from ..policy import authorize
from ..registry.models import TASK_CLASSIFICATION, MLModel
from ..registry.service import estimator_for
from . import arithmetic
from .history_writer import history_writer
from .inputs import rows_for
from .models import Prediction
from .state import answer_caches


@dataclass(frozen=True)
class Answer:
    value: object
    probabilities: dict | None = None


def cache_key(record: MLModel, user_id: int, row: tuple[float, ...]) -> tuple:
    """Model id *and* version: a new version never gets an old version's answer. The user's
    id: ``cached: true`` must never tell a caller that another user sent the same input;
    all of one user's sessions and keys share the entries. The
    model id comes first: deleting a model drops its entries by ``key[0]``."""
    return (record.id, record.version, user_id, row)


def _infer(record: MLModel, rows: list[tuple[float, ...]], field: str) -> list[Answer]:
    estimator = estimator_for(record)
    started = thread_time()  # CPU time: a busy host stretches wall-clock, not this
    matrix = np.asarray(rows, dtype=np.float64)
    probabilities = [None] * len(rows)
    # Huge features overflow inside the model: the non-finite answers are refused below.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        values = arithmetic.predict(estimator, matrix).tolist()
        if record.task == TASK_CLASSIFICATION and hasattr(estimator, "predict_proba"):
            probabilities = _probabilities(estimator, matrix) or probabilities
    _refuse_non_finite(values, probabilities, field)
    shared = answer_caches().shared
    if shared is not None:
        shared.note_inference(record, (thread_time() - started) * 1000)
    return [Answer(v, p) for v, p in zip(values, probabilities, strict=True)]


def _probabilities(estimator, matrix: np.ndarray) -> list[dict] | None:
    """Each row's probabilities by class label; None for a multi-output classifier, whose
    ``predict_proba`` gives one array per output (its prediction is a list of labels)."""
    proba = estimator.predict_proba(matrix)
    if not isinstance(proba, np.ndarray) or proba.ndim != 2:
        return None
    labels = [str(c) for c in estimator.classes_]
    return [dict(zip(labels, p, strict=True)) for p in proba.tolist()]


def _refuse_non_finite(values: list, probabilities: list[dict | None], field: str) -> None:
    """422 on each input whose prediction or any probability is NaN or infinite: no JSON
    can hold it, so it is neither answered nor recorded, and a batch with
    one such sample is refused whole."""
    errors = {}
    for i, (value, probability) in enumerate(zip(values, probabilities, strict=True)):
        path = field if field == "features" else f"{field}.{i}"
        if isinstance(value, float) and not math.isfinite(value):
            errors[path] = ["The model gives no finite prediction for these values."]
        elif probability and not all(math.isfinite(p) for p in probability.values()):
            errors[path] = ["The model gives no finite probabilities for these values."]
    if errors:
        raise ValidationFailed(errors)


def _answers(
    caller, record: MLModel, rows: list[list[float]], field: str
) -> list[tuple[Answer, bool]]:
    """(answer, came from ``caller``'s cache) per row: the process LRU first, then the
    shared tier (Redis, when configured and the model is slow enough to be worth it); the
    model is called once, for the misses of both only."""
    cache = answer_caches().answers
    shared = answer_caches().shared
    if shared is not None and not shared.worth_asking(record):
        shared = None
    keyed = [tuple(row) for row in rows]
    keys = [cache_key(record, caller.id, row) for row in keyed]
    found = [cache.get(key) for key in keys]
    misses = [i for i, answer in enumerate(found) if answer is None]
    if misses and shared is not None:
        stored = shared.get_many(record, caller.id, [keyed[i] for i in misses])
        for i, answer in zip(misses, stored, strict=True):
            if answer is not None:
                found[i] = Answer(answer["value"], answer["probabilities"])
                cache.put(keys[i], found[i])
        misses = [i for i in misses if found[i] is None]
    if misses:
        for i, answer in zip(
            misses, _infer(record, [keyed[i] for i in misses], field), strict=True
        ):
            cache.put(keys[i], answer)
            found[i] = answer
        if shared is not None:
            shared.put_many(record, caller.id, [(keyed[i], asdict(found[i])) for i in misses])
    missed = set(misses)
    count_predictions(record.id, record.version, hits=len(rows) - len(missed), misses=len(missed))
    return [(answer, i not in missed) for i, answer in enumerate(found)]


def _history_row(
    caller, record: MLModel, row, answer: Answer, cached: bool, latency_ms: float
) -> dict:
    return {
        "owner_id": caller.id,
        "model_id": record.id,
        "model_name": record.name,
        "model_version": record.version,
        "features": list(row),
        "prediction": answer.value,
        "probabilities": answer.probabilities,
        "cached": cached,
        "latency_ms": latency_ms,
    }


def predict(caller, record: MLModel, features: list[float] | dict) -> dict:
    """``features`` as a list in the model's order, or as ``{feature_name: value}``.

    The history row is one autocommit INSERT (committed when it returns its id): a Core
    statement, not an ORM object, since nothing here reads the row back."""
    started = perf_counter()
    [features] = rows_for(record, [features], "features")
    [(answer, cached)] = _answers(caller, record, [features], "features")
    latency_ms = (perf_counter() - started) * 1000
    prediction = _history_row(caller, record, features, answer, cached, latency_ms)
    prediction["id"] = history_writer().insert_one(prediction)
    return prediction


def predict_batch(caller, record: MLModel, samples: list[list[float] | dict]) -> dict:
    """One history record per sample, all in one statement (all or none); latency is the
    batch's time shared out per sample."""
    started = perf_counter()
    samples = rows_for(record, samples, "samples")
    answers = _answers(caller, record, samples, "samples")
    latency_ms = (perf_counter() - started) * 1000 / len(samples)
    rows = [
        _history_row(caller, record, row, answer, cached, latency_ms)
        for row, (answer, cached) in zip(samples, answers, strict=True)
    ]
    ids = history_writer().insert_many(rows)
    return {
        "predictions": [row["prediction"] for row in rows],
        "prediction_ids": ids,
        "count": len(rows),
        "model_id": record.id,
        "model_name": record.name,
        "model_version": record.version,
    }


def history(caller, page: int, per_page: int, model_id: int | None = None) -> Page:
    stmt = select(Prediction).where(Prediction.owner_id == caller.id)
    if model_id is not None:
        stmt = stmt.where(Prediction.model_id == model_id)
    stmt = stmt.order_by(Prediction.created_at.desc(), Prediction.id.desc())
    return paginate(stmt, page, per_page)


def find_prediction(prediction_id: int) -> Prediction:
    prediction = db.session.get(Prediction, prediction_id)
    if prediction is None:
        raise NotFound("No prediction with that id.")
    return prediction


def get_prediction(caller, prediction_id: int) -> Prediction:
    prediction = find_prediction(prediction_id)
    authorize(caller, "read", prediction, "That prediction belongs to someone else.")
    return prediction
