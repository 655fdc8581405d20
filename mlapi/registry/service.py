"""Finding, listing, changing and deleting model records, and their warm estimators."""

import logging

from flask import current_app
from sqlalchemy import exists, or_, select

from ..access_cache import access_cache
from ..audit.service import record as audit
from ..errors import ApiError, Conflict, ModelUnavailable, NotFound
from ..extensions import db
from ..pagination import Page, paginate
from ..policy import authorize
from ..teams.membership import roles_of
from ..teams.models import Team
from ..timeutil import utcnow
from .loader import ModelLimits, load_artifact
from .models import VISIBILITY_PRIVATE, VISIBILITY_PUBLIC, MLModel, full_name
from .moves import move_name
from .names import remove_aliases_naming
from .namespaces import name_id, records_of_name
from .schemas import ModelRecord
from .signals import model_deleted, model_retired
from .state import loaded_models, model_store
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
    record = _default_model_query()
    if record is None:
        raise ModelUnavailable("No default model is configured yet.")
    return record


def default_model_snapshot() -> MLModel:
    """The default model's record as a read-only snapshot from the access cache, for the
    paths that only read it (predictions, health): no query while nothing changed."""
    record = access_cache().cached("default_model", True, _default_model_query)
    if record is None:
        raise ModelUnavailable("No default model is configured yet.")
    return record


def _default_model_query() -> MLModel | None:
    return db.session.execute(
        select(MLModel).where(MLModel.is_default.is_(True), MLModel.deleted_at.is_(None))
    ).scalar_one_or_none()


def estimator_for(record: MLModel):
    """The loaded estimator, from the per-process LRU when warm (no disk read)."""
    key = (record.id, record.sha256)
    cache = loaded_models()
    estimator = cache.get(key)
    if estimator is None:
        try:
            estimator = load_artifact(
                model_store().get(record.sha256),
                allow_pickle=current_app.config["ALLOW_PICKLE"],
                limits=ModelLimits.of(current_app.config),
            )
        except (ArtifactUnavailable, ApiError) as exc:  # missing, damaged, now refused
            log.error("model %s v%s unavailable: %s", record.name, record.version, exc)
            raise ModelUnavailable() from exc
        cache.put(key, estimator)
    return estimator


def list_models(
    actor,
    *,
    page: int,
    per_page: int,
    name: str | None = None,
    owner: str | None = None,
    team: str | None = None,
) -> Page:
    """Live models the actor may see (admins: all), newest first: their own, their teams',
    public ones and the default. ``owner="me"``: under their own name only; ``team``: that
    team's only (docs/teams.md)."""
    stmt = select(MLModel).where(MLModel.deleted_at.is_(None))
    if not actor.is_admin:
        stmt = stmt.where(
            or_(
                MLModel.team_id.is_(None) & (MLModel.owner_id == actor.id),
                MLModel.team_id.in_(list(roles_of(actor.id))),
                MLModel.visibility == VISIBILITY_PUBLIC,
                MLModel.is_default.is_(True),
            )
        )
    if name is not None:
        stmt = stmt.where(MLModel.name == name)
    if owner == "me":
        stmt = stmt.where(MLModel.team_id.is_(None), MLModel.owner_id == actor.id)
    if team is not None:
        stmt = stmt.join(Team, Team.id == MLModel.team_id).where(
            Team.name_key == team.lower(), Team.deleted_at.is_(None)
        )
    stmt = stmt.order_by(MLModel.created_at.desc(), MLModel.id.desc())
    return paginate(stmt, page, per_page)


def update_model(actor, model_id: int, changes: dict) -> MLModel:
    """``description`` is this version's; ``visibility`` the name's (every live version);
    ``team`` moves the name (mlapi/registry/moves.py)."""
    record = get_model(actor, model_id, "update")
    if "team" in changes:
        move_name(actor, record, changes.pop("team"))
    if not changes:
        db.session.commit()
        return record
    if "description" in changes:
        record.description = changes["description"]
    if "visibility" in changes:
        versions = records_of_name(record, live_only=True)
        if changes["visibility"] == VISIBILITY_PRIVATE and any(v.is_default for v in versions):
            raise Conflict(
                "The default model is every user's: it cannot be made private. "
                "An admin can make another public model the default first."
            )
        for version in versions:
            version.visibility = changes["visibility"]
        audit("model.updated", "model_name", name_id(record), {"changes": changes})
    else:
        audit("model.updated", "model", record.id, {"changes": changes})
    db.session.commit()
    return record


def delete_model(actor, model_id: int) -> None:
    """Tombstone the record, then drop its artifact (unless shared) and cached answers."""
    record = get_model(actor, model_id, "delete")
    if record.is_default:
        raise Conflict(
            "The default model cannot be deleted. An admin can make another "
            "public model the default first."
        )
    record.deleted_at = utcnow()
    remove_aliases_naming(record)
    announce(model_deleted, record)
    audit(
        "model.deleted",
        "model",
        record.id,
        {"name": record.name, "version": record.version, "full_name": full_name(record)},
    )
    store = model_store()
    with store.lock():
        if store.transactional:  # the artifact row goes in the tombstone's own commit
            discard_artifact_unless_referenced(record.sha256)
            db.session.commit()
        else:  # a file can only go once the tombstone is committed
            db.session.commit()
            discard_artifact_unless_referenced(record.sha256)
    evict(record.id)


def artifact_referenced(sha256: str) -> bool:
    """Whether a live record (of any owner) uses the artifact with this digest."""
    return db.session.scalar(
        select(exists().where(MLModel.sha256 == sha256, MLModel.deleted_at.is_(None)))
    )


def discard_artifact_unless_referenced(sha256: str) -> None:
    """Remove the artifact when no live record uses it. The caller holds ``store.lock()``
    and, with a transactional store, commits."""
    store = model_store()
    store.hold(sha256)  # database store: an upload of the same bytes commits first
    if not artifact_referenced(sha256):
        store.delete(sha256)


def recover_interrupted_uploads() -> None:
    """Remove the artifacts of uploads whose worker was killed between writing them and
    committing their record (no ``except`` ran to remove them), unless a record uses the
    same bytes. Under the store's lock no upload is between the two, so every mark left
    is one of those; called at start, when gunicorn replaces the killed worker."""
    store = model_store()
    with store.lock():
        for sha256 in store.interrupted():
            discard_artifact_unless_referenced(sha256)
            store.clear_pending(sha256)
            log.warning(
                "removed the artifact %s of an upload interrupted before its commit", sha256[:12]
            )


def announce(signal, record: MLModel) -> None:
    """Tell the layers above about a change of ``record``, in its transaction (before the
    commit): ``mlapi.registry.signals``."""
    db.session.flush()  # the id and defaults the commit will write
    signal.send(
        current_app._get_current_object(),
        owner_id=record.owner_id,
        team_id=record.team_id,
        data=ModelRecord().dump(record),
    )


def evict(model_id: int) -> None:
    """Forget a model's loaded estimator in this process, and tell whoever keeps more of it
    (the predictions' answer cache) that it is gone."""
    loaded_models().discard_where(lambda key: key[0] == model_id)
    model_retired.send(current_app._get_current_object(), model_id=model_id)
