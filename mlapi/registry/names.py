"""Full names and aliases: ``<user or team>/<name>`` and the versions it has, and the
aliases (``production`` -> version 2) its managers point at one version.

A name is found through the namespace users and teams share (case-insensitively); a
team's records carry its ``team_id``, a user's have none. Which version a selector names
(``latest``, an alias, a version number) is cached in the access cache only: ``MLModel``
and ``ModelAlias`` are watched, so any write (a new version, a deletion, an alias moved)
drops it on every host before a caller can see the change (docs/storage-and-caching.md).

A caller who may not see a name is answered 404, as if it did not exist, for every
operation on it: full names are guessable, and their existence is not the caller's to learn.
"""

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..access_cache import access_cache
from ..audit.service import record as audit
from ..auth.models import User
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..policy import authorize, may
from ..teams.models import KIND_TEAM, Namespace, Team
from .models import MLModel, ModelAlias, full_name
from .signals import model_alias_moved

ALIAS_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,31}")
LATEST = "latest"
NO_NAME = "No model of that name."
NO_VERSION = "No model version by that name."


@dataclass(frozen=True)
class ModelName:
    """A name's live versions, oldest first, and where it lives."""

    full_name: str
    name_id: int  # the version-1 record's id (tombstones stay: it never goes)
    versions: list[MLModel]

    @property
    def newest(self) -> MLModel:
        return self.versions[-1]


def _owner_filter(owner: str):
    """The records' filter and display name for ``owner`` (a username or a team name, any
    case), or None when no such user or live team exists."""
    key = owner.lower()
    kind = db.session.scalar(select(Namespace.kind).where(Namespace.key == key))
    if kind == KIND_TEAM:
        team = db.session.scalar(
            select(Team).where(Team.name_key == key, Team.deleted_at.is_(None))
        )
        return None if team is None else ((MLModel.team_id == team.id,), team.name)
    user = db.session.scalar(select(User).where(User.username_key == key))
    if user is None:
        return None
    return (MLModel.owner_id == user.id, MLModel.team_id.is_(None)), user.username


def _records(owner: str, name: str) -> tuple[str, list[MLModel]] | None:
    """The full name and every record of the name (tombstones too), oldest first."""
    found = _owner_filter(owner)
    if found is None:
        return None
    where, display = found
    records = db.session.scalars(
        select(MLModel).where(*where, MLModel.name == name).order_by(MLModel.version)
    ).all()
    return f"{display}/{name}", list(records)


def find_name(actor, owner: str, name: str) -> ModelName:
    """The name with its live versions; 404 when there is none the actor may see."""
    found = _records(owner, name)
    live = [] if found is None else [r for r in found[1] if r.deleted_at is None]
    if not live or not may(actor, "view", live[-1]):
        raise NotFound(NO_NAME)
    return ModelName(found[0], found[1][0].id, live)


def aliases_of(model_name: ModelName) -> dict[str, int]:
    """``{alias: version}``, ``latest`` included, by alias."""
    rows = db.session.execute(
        select(ModelAlias.alias, MLModel.version)
        .join(MLModel, MLModel.id == ModelAlias.model_id)
        .where(ModelAlias.name_id == model_name.name_id)
    ).all()
    return dict(sorted([*rows, (LATEST, model_name.newest.version)]))


def describe(actor, owner: str, name: str) -> dict:
    model_name = find_name(actor, owner, name)
    return {
        "full_name": model_name.full_name,
        "versions": model_name.versions,
        "aliases": aliases_of(model_name),
    }


def _alias_named(alias: str) -> str:
    """404 for what cannot be an alias (like any unknown path); 422 for ``latest``."""
    if not ALIAS_PATTERN.fullmatch(alias):
        raise NotFound("No alias of that name.")
    if alias == LATEST:
        raise ValidationFailed(
            {"alias": ["latest is reserved: it always names the newest version."]}
        )
    return alias


def managed_name(actor, owner: str, name: str, alias: str) -> ModelName:
    """The name whose ``alias`` the actor would move or remove: 404 for an impossible alias
    or a name they may not see, 422 for ``latest``, 403 unless they manage the model."""
    alias = _alias_named(alias)
    model_name = find_name(actor, owner, name)
    authorize(actor, "move_alias", model_name.newest, "Only the model's managers move its aliases.")
    return model_name


def _alias_row(name_id: int, alias: str) -> ModelAlias | None:
    return db.session.scalar(
        select(ModelAlias).where(ModelAlias.name_id == name_id, ModelAlias.alias == alias)
    )


def move_alias(actor, owner: str, name: str, alias: str, version: int) -> dict:
    """Point ``alias`` at ``version`` (a live one, else 404), with its audit record and
    webhook signal in the same transaction."""
    model_name = managed_name(actor, owner, name, alias)
    target = next((r for r in model_name.versions if r.version == version), None)
    if target is None:
        raise NotFound("No live version with that number.")
    row = _alias_row(model_name.name_id, alias)
    previous = None if row is None else row.model.version
    if row is None:
        row = ModelAlias(name_id=model_name.name_id, alias=alias, model_id=target.id)
        db.session.add(row)
    row.model_id = target.id
    details = {
        "alias": alias,
        "full_name": model_name.full_name,
        "version": version,
        "previous_version": previous,
    }
    audit("alias.moved", "alias", target.id, details)
    db.session.flush()
    model_alias_moved.send(
        current_app._get_current_object(),
        owner_id=target.owner_id,
        team_id=target.team_id,
        data={**details, "model_id": target.id},
    )
    db.session.commit()
    return {"alias": alias, "version": version, "model_id": target.id}


def remove_alias(actor, owner: str, name: str, alias: str) -> None:
    model_name = managed_name(actor, owner, name, alias)
    row = _alias_row(model_name.name_id, alias)
    if row is None:
        raise NotFound("No alias of that name.")
    _forget(row, model_name.full_name, "removed")
    db.session.commit()


def remove_aliases_naming(record: MLModel) -> None:
    """Drop the aliases that name ``record`` (being deleted), each with its audit record,
    in the deletion's transaction (the caller commits)."""
    rows = db.session.scalars(select(ModelAlias).where(ModelAlias.model_id == record.id)).all()
    for row in rows:
        _forget(row, full_name(record), "version_deleted")


def _forget(row: ModelAlias, full_name: str, reason: str) -> None:
    details = {
        "alias": row.alias,
        "full_name": full_name,
        "version": row.model.version,
        "reason": reason,
    }
    audit("alias.deleted", "alias", row.model_id, details)
    db.session.delete(row)


def _selected_id(owner: str, name: str, alias: str | None, version: int | None) -> int | None:
    """The id of the live record the selector names, or None."""
    found = _records(owner, name)
    if found is None:
        return None
    live = [r for r in found[1] if r.deleted_at is None]
    if version is not None:
        return next((r.id for r in live if r.version == version), None)
    if alias == LATEST:
        return live[-1].id if live else None
    name_id = found[1][0].id if found[1] else None
    return db.session.scalar(
        select(ModelAlias.model_id).where(ModelAlias.name_id == name_id, ModelAlias.alias == alias)
    )


def resolve(
    actor, owner: str, name: str, *, alias: str | None = None, version: int | None = None
) -> MLModel:
    """The live version an alias (``latest`` when neither is given) or a version number
    names, for ``actor`` to predict with; 404 when there is none they may see.

    Only the id is cached (access cache, dropped by any write to a model or an alias on
    every host); the record is read by its id, so the answer cache it keys is always the
    version the alias names now."""
    if version is None:
        alias = alias or LATEST
        if not ALIAS_PATTERN.fullmatch(alias):
            raise NotFound(NO_VERSION)
    key = (owner.lower(), name, alias, version)
    model_id = access_cache().cached(
        "model_names", key, lambda: _selected_id(owner, name, alias, version)
    )
    record = None if model_id is None else db.session.get(MLModel, model_id)
    if record is None or record.deleted_at is not None or not may(actor, "predict", record):
        raise NotFound(NO_VERSION)
    return record
