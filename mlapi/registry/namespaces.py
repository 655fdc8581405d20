"""Model names and their namespaces: a name's versions belong to a user (``team_id`` NULL,
``owner_id`` the user) or to a team (``team_id``); the full name is
``<username or team name>/<name>``. Visibility belongs to the name, not to one version
(docs/teams.md)."""

from sqlalchemy import select

from ..errors import Forbidden, ValidationFailed
from ..extensions import db
from ..teams.membership import role_in
from ..teams.models import ROLE_MAINTAINER, Team
from .models import MLModel


def in_namespace(stmt, *, team_id: int | None, owner_id: int, name: str):
    """``stmt`` narrowed to the records of ``name`` in one namespace (tombstones too)."""
    if team_id is not None:
        return stmt.where(MLModel.team_id == team_id, MLModel.name == name)
    return stmt.where(MLModel.team_id.is_(None), MLModel.owner_id == owner_id, MLModel.name == name)


def records_of_name(record: MLModel, *, live_only: bool = False) -> list[MLModel]:
    """Every record of the name ``record`` has, in its namespace, oldest first."""
    stmt = in_namespace(
        select(MLModel), team_id=record.team_id, owner_id=record.owner_id, name=record.name
    )
    if live_only:
        stmt = stmt.where(MLModel.deleted_at.is_(None))
    return list(db.session.scalars(stmt.order_by(MLModel.version)))


def name_id(record: MLModel) -> int:
    """The id of the name's first record (version 1, a tombstone or not): what aliases
    and ``model_name`` audit records point at. Tombstones stay, so it never changes."""
    return records_of_name(record)[0].id


def newest_live(*, team_id: int | None, owner_id: int, name: str) -> MLModel | None:
    stmt = in_namespace(select(MLModel), team_id=team_id, owner_id=owner_id, name=name)
    stmt = stmt.where(MLModel.deleted_at.is_(None)).order_by(MLModel.version.desc()).limit(1)
    return db.session.scalar(stmt)


def team_to_join(actor, team_name: str) -> Team:
    """The live team of that name whose maintainer ``actor`` is, for an upload or a move
    into it: 422 on ``team`` when it does not exist or ``actor`` is not a member (its
    existence stays the members' business), 403 for a member who does not maintain it.
    Admins are held to the same rule: a team's models are added by its maintainers."""
    team = db.session.scalar(
        select(Team).where(Team.name_key == team_name.lower(), Team.deleted_at.is_(None))
    )
    role = None if team is None else role_in(actor.id, team.id)
    if role is None:
        raise _unknown_team()
    if role != ROLE_MAINTAINER:
        raise Forbidden(f"Only a maintainer of the team {team.name} may add models to it.")
    return team


def hold_team(team_id: int) -> None:
    """Keep the team from being deleted until this transaction ends; 422 as for an unknown
    team when a deletion committed since ``team_to_join`` read it.

    Team deletion counts the team's live models under the team's row lock; the share lock
    taken here (PostgreSQL) makes it wait for this upload or move, or this wait for it and
    then see ``deleted_at``. Without it, a model could land in a team deleted meanwhile.
    Taken again in every attempt of a transaction that retries."""
    deleted_at = db.session.execute(
        select(Team.deleted_at).where(Team.id == team_id).with_for_update(read=True, key_share=True)
    ).scalar_one()
    if deleted_at is not None:
        raise _unknown_team()


def _unknown_team() -> ValidationFailed:
    return ValidationFailed(
        {"team": ["No team of that name has you as a member."]}, detail="Unknown team."
    )
