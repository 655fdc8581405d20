"""What the predictions domain keeps per app: the answer caches, and how they forget a model.

The registry tells when a model is gone (``model_retired``, after its deletion is
committed); this domain then drops the model's answers (``forget_model``).
"""

from dataclasses import dataclass

from flask import Flask, current_app

from ..lru import LRUCache
from ..registry.signals import model_retired
from .history_writer import init_history
from .shared_cache import SharedPredictionCache

EXTENSION = "mlapi.predictions"


@dataclass
class AnswerCaches:
    answers: LRUCache  # (model id, version, user id, features) -> answer
    shared: SharedPredictionCache | None  # Redis, after a miss in ``answers``


def init_predictions(app: Flask) -> AnswerCaches:
    caches = AnswerCaches(
        answers=LRUCache(app.config["PREDICTION_CACHE_SIZE"]),
        shared=SharedPredictionCache.from_config(app.config),
    )
    app.extensions[EXTENSION] = caches
    init_history(app)
    model_retired.connect(_forget_retired_model, sender=app)
    return caches


def answer_caches() -> AnswerCaches:
    return current_app.extensions[EXTENSION]


def forget_model(model_id: int) -> None:
    """Drop this process's cached answers of the model (the key starts with its id). The
    shared tier's entries expire on their own: a deleted model's are never read."""
    answer_caches().answers.discard_where(lambda key: key[0] == model_id)


def _forget_retired_model(_app: Flask, *, model_id: int) -> None:
    forget_model(model_id)
