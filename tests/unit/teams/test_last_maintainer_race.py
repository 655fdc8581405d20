"""Two maintainers stepping down at the same moment cannot leave a team without one.

Each removes or demotes themself, so both pass the policy (the other's change does not touch
their own membership) and meet in the last-maintainer check under the team's lock.
"""

import threading

import pytest
from sqlalchemy import func, select

from mlapi.extensions import db
from mlapi.teams.models import TeamMember
from tests.unit.teams.conftest import team_url


def step_down_together(app, how: str, team_id: int, callers) -> list[int]:
    barrier = threading.Barrier(len(callers))
    statuses: list[int] = []

    def step_down(headers, username):
        with app.test_client() as client:
            barrier.wait()
            url = team_url(team_id, username)
            if how == "leave":
                response = client.delete(url, headers=headers)
            else:
                response = client.put(url, json={"role": "member"}, headers=headers)
            statuses.append(response.status_code)

    threads = [threading.Thread(target=step_down, args=caller) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.parametrize("how", ["leave", "demote"])
@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_step_downs_leave_exactly_one_maintainer(
    app, make_user, sign_in, create_team, set_role, how, attempt
):
    rita, bob = make_user(), make_user()
    rita_headers, bob_headers = sign_in(rita).headers, sign_in(bob).headers
    team_id = create_team(rita_headers)["id"]
    assert set_role(rita_headers, team_id, bob.username, "maintainer").status_code == 200

    statuses = step_down_together(
        app, how, team_id, [(rita_headers, rita.username), (bob_headers, bob.username)]
    )

    assert statuses == [200 if how == "demote" else 204, 409], f"attempt {attempt}"
    with app.app_context():
        maintainers = db.session.execute(
            select(func.count())
            .select_from(TeamMember)
            .where(TeamMember.team_id == team_id, TeamMember.role == "maintainer")
        ).scalar_one()
    assert maintainers == 1
