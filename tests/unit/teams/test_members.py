"""Team members through the API: who may add, change and remove whom; the last maintainer."""

import pytest
from sqlalchemy import select

from mlapi.audit.models import AuditEvent
from mlapi.extensions import db
from tests.unit.helpers import assert_problem
from tests.unit.teams.conftest import team_url


@pytest.fixture
def people(make_user, sign_in):
    """Rita maintains the risk team, Bob is a member of it, Eve is not."""
    made = {name: make_user(name) for name in ("rita", "bob", "eve")}
    return {name: (user, sign_in(user).headers) for name, user in made.items()}


@pytest.fixture
def risk(people, create_team, set_role) -> int:
    team = create_team(people["rita"][1], "risk")
    assert set_role(people["rita"][1], team["id"], "bob").status_code == 200
    return team["id"]


def roles(client, headers, team_id) -> dict[str, str]:
    team = client.get(team_url(team_id), headers=headers).get_json()
    return {member["user"]["username"]: member["role"] for member in team["members"]}


def audit_details(app, action: str) -> list[dict]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()


def test_a_maintainer_adds_a_member(app, client, people, risk):
    bob = people["bob"][0]
    assert roles(client, people["bob"][1], risk) == {"rita": "maintainer", "bob": "member"}
    assert audit_details(app, "team.member_set") == [
        {"user_id": bob.id, "username": "bob", "role": "member", "previous_role": None}
    ]


def test_a_maintainer_promotes_a_member(app, client, people, risk, set_role):
    response = set_role(people["rita"][1], risk, "BOB", "maintainer")

    assert response.status_code == 200
    members = {m["user"]["username"]: m["role"] for m in response.get_json()["members"]}
    assert members == {"rita": "maintainer", "bob": "maintainer"}
    assert audit_details(app, "team.member_set")[-1]["previous_role"] == "member"


def test_setting_the_same_role_again_changes_nothing(app, people, risk, set_role):
    assert set_role(people["rita"][1], risk, "bob", "member").status_code == 200
    assert len(audit_details(app, "team.member_set")) == 1


def test_an_admin_manages_any_team(client, people, risk, set_role, admin_headers):
    assert set_role(admin_headers, risk, "eve").status_code == 200
    assert client.delete(team_url(risk, "eve"), headers=admin_headers).status_code == 204


@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [("bob", 403, "forbidden"), ("eve", 404, "not_found")],
)
def test_only_maintainers_add_members(people, risk, set_role, caller, status, code):
    assert_problem(set_role(people[caller][1], risk, "eve"), status, code)


def test_adding_an_unknown_user_is_not_found(people, risk, set_role):
    assert_problem(set_role(people["rita"][1], risk, "nobody"), 404, "not_found")
    assert_problem(set_role(people["rita"][1], risk, "mlapi-system"), 404, "not_found")


@pytest.mark.parametrize("body", [{}, {"role": "owner"}, {"role": "admin"}, {"role": 1}])
def test_the_role_is_member_or_maintainer(client, people, risk, body):
    response = client.put(team_url(risk, "eve"), json=body, headers=people["rita"][1])

    assert "role" in assert_problem(response, 422, "validation_error")["errors"]


def test_a_member_refused_before_their_body_is_read(client, people, risk):
    response = client.put(team_url(risk, "eve"), json={"role": "owner"}, headers=people["bob"][1])

    assert_problem(response, 403, "forbidden")


def test_the_last_maintainer_cannot_step_down(client, people, risk, set_role):
    assert_problem(set_role(people["rita"][1], risk, "rita", "member"), 409, "conflict")
    assert_problem(
        client.delete(team_url(risk, "rita"), headers=people["rita"][1]), 409, "conflict"
    )
    assert roles(client, people["rita"][1], risk)["rita"] == "maintainer"


def test_a_maintainer_steps_down_once_another_exists(client, people, risk, set_role):
    set_role(people["rita"][1], risk, "bob", "maintainer")

    assert set_role(people["rita"][1], risk, "rita", "member").status_code == 200
    assert roles(client, people["bob"][1], risk)["rita"] == "member"


def test_an_inactive_maintainer_does_not_count(client, people, risk, set_role, admin_headers):
    set_role(people["rita"][1], risk, "bob", "maintainer")
    deactivate = {"is_active": False}
    bob_url = f"/api/v1/admin/users/{people['bob'][0].id}"
    assert client.patch(bob_url, json=deactivate, headers=admin_headers).status_code == 200

    assert_problem(
        client.delete(team_url(risk, "rita"), headers=people["rita"][1]), 409, "conflict"
    )


def test_a_maintainer_removes_a_member(app, client, people, risk):
    assert client.delete(team_url(risk, "bob"), headers=people["rita"][1]).status_code == 204

    assert_problem(client.get(team_url(risk), headers=people["bob"][1]), 404, "not_found")
    bob = people["bob"][0]
    assert audit_details(app, "team.member_removed") == [
        {"user_id": bob.id, "username": "bob", "role": "member"}
    ]


def test_a_member_leaves_by_themself(client, people, risk):
    assert client.delete(team_url(risk, "bob"), headers=people["bob"][1]).status_code == 204
    assert "bob" not in roles(client, people["rita"][1], risk)


def test_a_member_cannot_remove_another(client, people, risk):
    response = client.delete(team_url(risk, "rita"), headers=people["bob"][1])

    assert_problem(response, 403, "forbidden")


def test_a_non_member_cannot_remove_anyone(client, people, risk):
    assert_problem(client.delete(team_url(risk, "bob"), headers=people["eve"][1]), 404, "not_found")


def test_removing_someone_who_is_not_a_member_is_not_found(client, people, risk):
    assert_problem(
        client.delete(team_url(risk, "eve"), headers=people["rita"][1]), 404, "not_found"
    )
    assert_problem(
        client.delete(team_url(risk, "nobody"), headers=people["rita"][1]), 404, "not_found"
    )


def test_a_deleted_team_has_no_members_to_manage(client, people, risk, set_role):
    client.delete(team_url(risk, "bob"), headers=people["rita"][1])
    assert client.delete(team_url(risk), headers=people["rita"][1]).status_code == 204

    assert_problem(set_role(people["rita"][1], risk, "bob"), 404, "not_found")
