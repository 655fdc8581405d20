"""Team logic: create and delete teams, set and remove their members.

Who may do what is the policy's (``team`` view / manage); a team the caller may not see is
"not found", as if it did not exist. Every change writes its audit record in its own
transaction. A team keeps at least one active maintainer: each membership change locks the
team's row first (``FOR UPDATE`` on PostgreSQL; SQLite serialises writers), writes, then
counts the active maintainers left before commit, as ``mlapi.admin.service`` keeps the last
admin (docs/teams.md).
"""

from sqlalchemy import column, func, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..audit.service import record
from ..auth.models import SYSTEM_USERNAME, User
from ..errors import LastMaintainer, NameTaken, NotFound, TeamOwnsModels
from ..extensions import db
from ..pagination import Page, paginate
from ..policy import authorize, may
from ..timeutil import utcnow
from .models import KIND_TEAM, ROLE_MAINTAINER, Namespace, Team, TeamMember

# The registry sits above this layer: its table is named here, not its model.
_MODELS = table("ml_models", column("team_id"), column("deleted_at"))


def create_team(creator: User, name: str) -> Team:
    """A new team whose first maintainer is ``creator``; 409 when a user or another team
    (deleted ones too) has the name in any letter case."""
    key = name.lower()
    if claimed(key):
        raise NameTaken()
    try:
        db.session.add(Namespace(key=key, kind=KIND_TEAM))
        db.session.flush()  # the claim first: a concurrent one fails here
        team = Team(name=name, name_key=key)
        team.members.append(TeamMember(user_id=creator.id, role=ROLE_MAINTAINER))
        db.session.add(team)
        db.session.flush()
        record("team.created", "team", team.id, {"name": team.name})
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise NameTaken() from exc
    return team


def claimed(name: str) -> bool:
    """Whether a user or a team (deleted ones too) has ``name``, in any letter case. A
    claim made after this check fails at insert: the claims' primary key decides."""
    return db.session.get(Namespace, name.lower()) is not None


def list_teams(actor: User, *, page: int, per_page: int) -> Page:
    """The live teams ``actor`` belongs to (an admin: every live team), newest first."""
    stmt = select(Team).where(Team.deleted_at.is_(None)).options(selectinload(Team.members))
    if not actor.is_admin:
        mine = select(TeamMember.team_id).where(TeamMember.user_id == actor.id)
        stmt = stmt.where(Team.id.in_(mine))
    return paginate(stmt.order_by(Team.created_at.desc(), Team.id.desc()), page, per_page)


def find_team(actor: User, team_id: int) -> Team:
    """A live team ``actor`` may see: 404 otherwise (missing, deleted or not theirs)."""
    team = db.session.get(Team, team_id)
    if team is None or team.deleted_at is not None or not may(actor, "view", team):
        raise NotFound("No team with that id among yours.")
    return team


def managed_team(actor: User, team_id: int) -> Team:
    """A team ``actor`` maintains (or any, for an admin): 404 as ``find_team``, then 403."""
    team = find_team(actor, team_id)
    authorize(actor, "manage", team, "Only the team's maintainers may do this.")
    return team


def find_person(username: str) -> User:
    """The account named ``username`` in any letter case (not the system's): 404 if none."""
    user = db.session.execute(
        select(User).where(
            User.username_key == username.lower(), User.username_key != SYSTEM_USERNAME
        )
    ).scalar_one_or_none()
    if user is None:
        raise NotFound("No user with that username.")
    return user


def set_member(actor: User, team_id: int, username: str, role: str) -> Team:
    """Add ``username`` to the team with ``role``, or change their role."""
    team = managed_team(actor, team_id)
    user = find_person(username)
    _lock(team)
    member = db.session.get(TeamMember, (team.id, user.id))
    previous = member.role if member else None
    if previous == role:
        return team  # nothing changes, nothing to record
    if member is None:
        db.session.add(TeamMember(team_id=team.id, user_id=user.id, role=role))
    else:
        member.role = role
    db.session.flush()
    _keep_a_maintainer(team, user, previous)
    record(
        "team.member_set",
        "team",
        team.id,
        {"user_id": user.id, "username": user.username, "role": role, "previous_role": previous},
    )
    db.session.commit()
    db.session.expire(team, ["members"])  # the session keeps loaded state past commit
    return team


def remove_member(actor: User, team_id: int, username: str) -> None:
    """Take ``username`` out of the team: a maintainer or an admin may; a member may
    leave (remove themself)."""
    team = find_team(actor, team_id)
    user = find_person(username)
    if user.id != actor.id:
        authorize(actor, "manage", team, "Only the team's maintainers may remove others.")
    _lock(team)
    member = db.session.get(TeamMember, (team.id, user.id))
    if member is None:
        raise NotFound("That user is not a member of the team.")
    role = member.role
    db.session.delete(member)
    db.session.flush()
    _keep_a_maintainer(team, user, role)
    record(
        "team.member_removed",
        "team",
        team.id,
        {"user_id": user.id, "username": user.username, "role": role},
    )
    db.session.commit()


def delete_team(actor: User, team_id: int) -> None:
    """Soft-delete a team that owns no live model (its deleted models' records stay, and
    so does its name's claim). Its memberships go."""
    team = managed_team(actor, team_id)
    _lock(team)
    live = db.session.execute(
        select(func.count())
        .select_from(_MODELS)
        .where(_MODELS.c.team_id == team.id, _MODELS.c.deleted_at.is_(None))
    ).scalar_one()
    if live:
        db.session.rollback()
        raise TeamOwnsModels()
    team.deleted_at = utcnow()
    team.members.clear()
    record("team.deleted", "team", team.id, {"name": team.name})
    db.session.commit()


def _lock(team: Team) -> None:
    """Serialise changes to one team (PostgreSQL row lock, held until commit); 404 if it
    was deleted meanwhile."""
    deleted_at = db.session.execute(
        select(Team.deleted_at).where(Team.id == team.id).with_for_update()
    ).scalar_one()
    if deleted_at is not None:
        db.session.rollback()
        raise NotFound("No team with that id among yours.")


def _keep_a_maintainer(team: Team, user: User, previous_role: str | None) -> None:
    """409 (and nothing written) when the change just made took the team's last active
    maintainer away. Called after the change is flushed, under the team's lock."""
    if previous_role != ROLE_MAINTAINER or not user.is_active:
        return
    left = db.session.execute(
        select(func.count())
        .select_from(TeamMember)
        .join(User, User.id == TeamMember.user_id)
        .where(
            TeamMember.team_id == team.id,
            TeamMember.role == ROLE_MAINTAINER,
            User.is_active.is_(True),
        )
    ).scalar_one()
    if left == 0:
        db.session.rollback()
        raise LastMaintainer()
