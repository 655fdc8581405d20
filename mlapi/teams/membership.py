"""A user's roles in their teams, as the access policy asks for them on every request to
a team's model: cached with the callers' snapshots (mlapi/access_cache.py), so a change
of membership acts on every host at the next request."""

from sqlalchemy import select

from ..access_cache import access_cache
from ..extensions import db
from .models import ROLE_MAINTAINER, Team, TeamMember


def roles_of(user_id: int) -> dict[int, str]:
    """{team id: role} for the live teams the user belongs to."""
    return access_cache().cached("team_roles", user_id, lambda: _load_roles(user_id))


def _load_roles(user_id: int) -> dict[int, str]:
    rows = db.session.execute(
        select(TeamMember.team_id, TeamMember.role)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id == user_id, Team.deleted_at.is_(None))
    )
    return {team_id: role for team_id, role in rows}


def role_in(user_id: int, team_id: int) -> str | None:
    return roles_of(user_id).get(team_id)


def maintains(user_id: int, team_id: int) -> bool:
    return role_in(user_id, team_id) == ROLE_MAINTAINER
