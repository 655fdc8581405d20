"""Uploading a model: check the file, describe the estimator, store it, number the version
(docs/decisions.md#the-model-registry: artifact first, row second; versions).
"""

import logging
from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit.service import record as audit
from ..errors import Conflict, PayloadTooLarge, ValidationFailed
from ..extensions import db
from ..policy import authorize
from .loader import ModelLimits, load_artifact
from .models import TASK_CLASSIFICATION, TASK_REGRESSION, MLModel, full_name
from .namespaces import hold_team, in_namespace, newest_live, team_to_join
from .service import announce, discard_artifact_unless_referenced
from .signals import model_created
from .state import model_store
from .store import sha256_of

log = logging.getLogger("mlapi.registry")

# Every collision means another upload of the name committed, so N uploads racing for
# one name settle within N attempts; past this many, the client is asked to retry.
MAX_VERSION_ATTEMPTS = 16


@dataclass
class Description:
    task: str
    n_features: int
    feature_names: list[str] | None
    classes: list | None


def read_file(stream, max_bytes: int) -> bytes:
    """The uploaded file's bytes; 413 past ``max_bytes`` (reads at most one byte more)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"Model files may be at most {max_bytes} bytes on this server.")
    return data


def describe(estimator, feature_names: list[str] | None) -> Description:
    """What the record says about the estimator: task, inputs, outputs."""
    n_features = getattr(estimator, "n_features_in_", None)
    if not isinstance(n_features, int | np.integer):
        raise ValidationFailed(
            {
                "file": [
                    "The estimator is not fitted (it has no n_features_in_); fit it before export."
                ]
            },
            detail="The model is not fitted.",
        )
    n_features = int(n_features)
    own_names = getattr(estimator, "feature_names_in_", None)
    own_names = None if own_names is None else [str(n) for n in own_names]
    if feature_names is not None:
        if len(feature_names) != n_features:
            raise ValidationFailed(
                {
                    "feature_names": [
                        f"The model takes {n_features} features; {len(feature_names)} names given."
                    ]
                }
            )
        if own_names is not None and own_names != feature_names:
            raise ValidationFailed(
                {
                    "feature_names": [
                        "The model was trained with the feature names "
                        + ", ".join(own_names)
                        + "; leave this out or send the same."
                    ]
                }
            )
    classes = getattr(estimator, "classes_", None)
    # A multi-output classifier has one array of classes per output: none is recorded.
    single_output = isinstance(classes, np.ndarray) and classes.ndim == 1
    return Description(
        task=TASK_REGRESSION if classes is None else TASK_CLASSIFICATION,
        n_features=n_features,
        feature_names=feature_names or own_names,
        classes=classes.tolist() if single_output else None,
    )


def upload_model(
    owner,
    *,
    data: bytes,
    name: str,
    model_type: str,
    visibility: str,
    description: str | None = None,
    feature_names: list[str] | None = None,
    team: str | None = None,
) -> MLModel:
    """Store the next version of ``name`` in the owner's namespace, or in ``team``'s
    (whose maintainer the owner must be). A name that has a live version keeps its
    visibility: the new version inherits it and ``visibility`` is not used."""
    team_id = None if team is None else team_to_join(owner, team).id
    existing = newest_live(team_id=team_id, owner_id=owner.id, name=name)
    if existing is not None:
        authorize(owner, "upload_version", existing, "That model name belongs to someone else.")
    estimator = load_artifact(
        data,
        allow_pickle=current_app.config["ALLOW_PICKLE"],
        max_unpacked_bytes=current_app.config["MAX_MODEL_BYTES"],
        limits=ModelLimits.of(current_app.config),
    )
    facts = describe(estimator, feature_names)
    store = model_store()
    sha256 = sha256_of(data)
    fields = {
        "owner_id": owner.id,
        "uploaded_by_id": owner.id,
        "team_id": team_id,
        "name": name,
        "model_type": model_type,
        "visibility": visibility,
        "description": description,
        "sha256": sha256,
        "size_bytes": len(data),
        "task": facts.task,
        "n_features": facts.n_features,
        "feature_names": facts.feature_names,
        "classes": facts.classes,
    }
    with store.lock():  # no delete of the same bytes between the write and the commit
        wrote = not store.transactional and not store.exists(sha256)
        if wrote:  # left behind if the worker dies before the end: the next start cleans up
            store.mark_pending(sha256)
        try:
            record = _insert_next_version(fields, lambda: store.put(data))
        except BaseException:
            db.session.rollback()  # with the database store, the artifact row goes too
            if wrote:
                discard_artifact_unless_referenced(sha256)  # needs the database too
                store.clear_pending(sha256)
            raise
        if wrote:
            store.clear_pending(sha256)
        return record


def _insert_next_version(fields: dict, put_artifact) -> MLModel:
    """``put_artifact`` runs in every attempt: a rollback takes a database store's row
    with it (a file store's second put finds the file and does nothing)."""
    for _attempt in range(MAX_VERSION_ATTEMPTS):
        if fields["team_id"] is not None:
            hold_team(fields["team_id"])
        put_artifact()
        record = MLModel(**_numbered(fields))
        db.session.add(record)
        try:
            announce(model_created, record)  # a version taken concurrently fails its flush
            audit(
                "model.uploaded",
                "model",
                record.id,
                {
                    "name": record.name,
                    "version": record.version,
                    "full_name": full_name(record),
                    "team": record.team.name if record.team_id is not None else None,
                    "visibility": record.visibility,
                },
            )
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            log.info(
                "version %s of %r taken concurrently; retrying", record.version, fields["name"]
            )
            continue
        return record
    raise Conflict("Too many uploads of this model name at once; try again.")


def _numbered(fields: dict) -> dict:
    """The fields with the next version of the name in its namespace and the name's
    visibility when it has a live version (read again in each attempt)."""
    where = (fields["team_id"], fields["owner_id"], fields["name"])
    newest = newest_live(team_id=where[0], owner_id=where[1], name=where[2])
    visibility = fields["visibility"] if newest is None else newest.visibility
    return {**fields, "version": _next_version(*where), "visibility": visibility}


def _next_version(team_id: int | None, owner_id: int, name: str) -> int:
    """One past the highest version ever used in the namespace, tombstones included:
    never reused."""
    stmt = in_namespace(
        select(func.max(MLModel.version)), team_id=team_id, owner_id=owner_id, name=name
    )
    return (db.session.scalar(stmt) or 0) + 1
