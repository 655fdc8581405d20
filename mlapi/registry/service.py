"""Finding model records and their warm estimators."""

import logging

from sqlalchemy import select

from ..errors import ModelLoadError, ModelUnavailable, NotFound, UntrustedModel
from ..extensions import db
from ..policy import authorize
from ..runtime import runtime
from .loader import load_skops
from .models import MLModel
from .store import ArtifactUnavailable

log = logging.getLogger("mlapi.registry")


def get_model(actor, model_id: int, action: str = "view") -> MLModel:
    """A live model the actor may ``action``: 404 when missing or deleted, then 403."""
    record = db.session.get(MLModel, model_id)
    if record is None or record.deleted_at is not None:
        raise NotFound("No model with that id.")
    authorize(actor, action, record, "That model belongs to someone else.")
    return record


def default_model() -> MLModel:
    record = db.session.execute(select(MLModel).where(
        MLModel.is_default.is_(True), MLModel.deleted_at.is_(None))).scalar_one_or_none()
    if record is None:
        raise ModelUnavailable("No default model is configured yet.")
    return record


def estimator_for(record: MLModel):
    """The loaded estimator, from the per-process LRU when warm (no disk read)."""
    key = (record.id, record.sha256)
    cache = runtime().loaded_models
    estimator = cache.get(key)
    if estimator is None:
        try:
            estimator = load_skops(runtime().store.get(record.sha256))
        except (ArtifactUnavailable, ModelLoadError, UntrustedModel) as exc:
            log.error("model %s v%s unavailable: %s", record.name, record.version, exc)
            raise ModelUnavailable() from exc
        cache.put(key, estimator)
    return estimator
