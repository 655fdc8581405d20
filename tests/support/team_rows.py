"""Teams made directly in the database (Namespace + Team + TeamMember rows), for tests of
team-owned models; the teams API has its own tests."""

import pytest

from mlapi.extensions import db
from mlapi.teams.models import ROLE_MAINTAINER, ROLE_MEMBER, Team, TeamMember
from mlapi.timeutil import utcnow
from tests.team_records import add_team


@pytest.fixture
def seed_team(app):
    """``seed_team("risk", maintainers=[user], members=[user])`` -> the team's id."""

    def seed(name: str, *, maintainers=(), members=()) -> int:
        roles = {u.id: ROLE_MAINTAINER for u in maintainers} | {u.id: ROLE_MEMBER for u in members}
        return add_team(app, name, roles)

    return seed


@pytest.fixture
def leave_team(app):
    """Take a user out of a team (as the teams API would)."""

    def leave(team_id: int, user) -> None:
        with app.app_context():
            db.session.delete(db.session.get(TeamMember, (team_id, user.id)))
            db.session.commit()  # the ORM delete tells every host's access cache

    return leave


@pytest.fixture
def delete_team(app):
    def remove(team_id: int) -> None:
        with app.app_context():
            db.session.get(Team, team_id).deleted_at = utcnow()
            db.session.commit()

    return remove
