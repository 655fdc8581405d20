"""Moving a model name between namespaces: from its owner into a team, between teams, and
back to whoever uploaded version 1. A move carries every record of the name (live versions
and tombstones, so version numbers stay unique and are never reused) and, since aliases
point at the version-1 record, its aliases; the old full name then names nothing."""

from sqlalchemy import exists
from sqlalchemy.exc import IntegrityError

from ..audit.service import record as audit
from ..errors import Conflict, Forbidden
from ..extensions import db
from ..teams.models import Team
from .models import MLModel, namespace_of
from .namespaces import hold_team, in_namespace, records_of_name, team_to_join


def move_name(actor, record: MLModel, team_name: str | None) -> None:
    """Move ``record``'s name into the team ``team_name`` (``None``: back to its first
    uploader) in the session; the caller commits. ``actor`` already may update it."""
    versions = records_of_name(record)
    first = versions[0]
    if team_name is None:
        if record.team_id is None:
            return  # already under a user's name
        if not (actor.is_admin or actor.id == first.uploaded_by_id):
            raise Forbidden(
                "Only whoever uploaded its first version, or an admin, may take a model "
                "out of its team."
            )
        team, owner_id = None, first.uploaded_by_id
    else:
        team = team_to_join(actor, team_name)
        if team.id == record.team_id:
            return  # already there
        hold_team(team.id)
        owner_id = None
    source = namespace_of(record)
    target_owner = owner_id if owner_id is not None else record.owner_id
    taken = in_namespace(
        exists(), team_id=_id(team), owner_id=target_owner, name=record.name
    ).select()
    if db.session.scalar(taken):
        raise Conflict(_clash(team, target_owner, record.name))
    for version in versions:
        version.team_id = _id(team)
        if owner_id is not None:
            version.owner_id = owner_id
    try:
        db.session.flush()  # a concurrent move of the same name into the same place
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_clash(team, target_owner, record.name)) from None
    for version in versions:  # loaded before the move: read them again
        db.session.expire(version, ["team", "owner"])
    audit(
        "model.moved",
        "model_name",
        first.id,
        {"name": record.name, "from": source, "to": namespace_of(record)},
    )


def _id(team: Team | None) -> int | None:
    return None if team is None else team.id


def _clash(team: Team | None, owner_id: int, name: str) -> str:
    where = f"The team {team.name}" if team is not None else "Its first uploader"
    return f"{where} already has a model named {name} (or had one): rename one first."
