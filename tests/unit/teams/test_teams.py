"""Teams through the API: creation, names, listing, seeing one, deletion."""

import pytest
from sqlalchemy import select

from mlapi.audit.models import AuditEvent
from mlapi.auth import service as accounts
from mlapi.extensions import db
from mlapi.registry.models import MLModel
from mlapi.teams import service
from mlapi.teams.models import Namespace, Team
from mlapi.timeutil import utcnow
from tests.unit.helpers import assert_problem
from tests.unit.teams.conftest import TEAMS, team_url


def audit_of(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
        for event in events:
            db.session.expunge(event)
        return events


def test_the_creator_is_the_first_maintainer(client, user, auth_headers):
    response = client.post(TEAMS, json={"name": "Risk"}, headers=auth_headers)

    assert response.status_code == 201
    team = response.get_json()
    assert team["name"] == "Risk"
    assert team["members"] == [
        {"user": {"id": user.id, "username": user.username}, "role": "maintainer"}
    ]
    assert response.headers["Location"].endswith(f"/api/v1/teams/{team['id']}")
    assert client.get(response.headers["Location"], headers=auth_headers).get_json() == team


def test_creation_is_audited(app, create_team, user, auth_headers):
    team = create_team(auth_headers)

    (event,) = audit_of(app, "team.created")
    assert (event.target_type, event.target_id, event.details) == (
        "team",
        team["id"],
        {"name": "risk"},
    )
    assert event.actor_id == user.id


@pytest.mark.parametrize("name", ["ab", "a" * 33, "risk team", "risk/team", "", "risk\n"])
def test_a_team_name_follows_the_username_rules(client, auth_headers, name):
    response = client.post(TEAMS, json={"name": name}, headers=auth_headers)

    body = assert_problem(response, 422, "validation_error")
    assert "name" in body["errors"]


@pytest.mark.parametrize("taken", ["RISK", "risk", "Risk"])
def test_a_team_name_is_taken_in_any_letter_case(client, create_team, auth_headers, taken):
    create_team(auth_headers, "Risk")

    body = assert_problem(
        client.post(TEAMS, json={"name": taken}, headers=auth_headers), 409, "conflict"
    )
    assert "already taken" in body["detail"]


def test_a_team_cannot_take_a_username(client, make_user, auth_headers):
    make_user("Carol")

    body = assert_problem(
        client.post(TEAMS, json={"name": "carol"}, headers=auth_headers), 409, "conflict"
    )
    assert "already taken" in body["detail"]


def test_a_user_cannot_register_a_team_name(client, create_team, auth_headers):
    create_team(auth_headers, "risk")

    response = client.post(
        "/api/v1/auth/register",
        json={
            "username": "RISK",
            "email": "risk@example.com",
            "password": "a-team-player-password",
        },
    )

    body = assert_problem(response, 409, "conflict")
    assert "already taken" in body["detail"]


def test_a_deleted_team_keeps_its_name(client, create_team, auth_headers):
    team = create_team(auth_headers, "risk")
    assert client.delete(team_url(team["id"]), headers=auth_headers).status_code == 204

    assert_problem(client.post(TEAMS, json={"name": "risk"}, headers=auth_headers), 409, "conflict")
    response = client.post(
        "/api/v1/auth/register",
        json={
            "username": "risk",
            "email": "risk@example.com",
            "password": "a-team-player-password",
        },
    )
    assert_problem(response, 409, "conflict")


def test_a_name_claimed_at_the_same_moment_is_a_conflict(app, client, auth_headers, monkeypatch):
    """The check before the insert misses a claim made meanwhile: the primary key of
    ``namespaces`` catches it."""
    with app.app_context():
        db.session.add(Namespace(key="risk", kind="user"))
        db.session.commit()
    monkeypatch.setattr(service, "claimed", lambda _name: False)

    assert_problem(client.post(TEAMS, json={"name": "risk"}, headers=auth_headers), 409, "conflict")


def test_an_api_key_can_create_a_team(client, auth_headers):
    key = client.post("/api/v1/auth/api-keys", json={"name": "ci"}, headers=auth_headers).get_json()

    response = client.post(TEAMS, json={"name": "risk"}, headers={"X-API-Key": key["key"]})

    assert response.status_code == 201


def test_a_user_lists_the_teams_they_belong_to(client, make_user, sign_in, create_team, set_role):
    rita, bob = make_user("rita"), make_user("bob")
    rita_headers, bob_headers = sign_in(rita).headers, sign_in(bob).headers
    risk = create_team(rita_headers, "risk")
    create_team(rita_headers, "fraud")
    set_role(rita_headers, risk["id"], "bob")
    create_team(bob_headers, "churn")

    page = client.get(TEAMS, headers=bob_headers).get_json()

    assert [team["name"] for team in page["items"]] == ["churn", "risk"]
    assert (page["total"], page["page"], page["pages"]) == (2, 1, 1)


def test_an_admin_lists_every_live_team(client, make_user, sign_in, create_team, admin_headers):
    headers = sign_in(make_user()).headers
    create_team(headers, "risk")
    gone = create_team(headers, "fraud")
    client.delete(team_url(gone["id"]), headers=headers)

    page = client.get(TEAMS, headers=admin_headers).get_json()

    assert [team["name"] for team in page["items"]] == ["risk"]


def test_teams_come_in_pages(client, create_team, auth_headers):
    for name in ("one", "two", "three"):
        create_team(auth_headers, name)

    page = client.get(f"{TEAMS}?per_page=2&page=2", headers=auth_headers).get_json()

    assert [team["name"] for team in page["items"]] == ["one"]
    assert (page["total"], page["pages"]) == (3, 2)


def test_a_non_member_cannot_see_a_team(client, make_user, sign_in, create_team, admin_headers):
    team = create_team(sign_in(make_user()).headers)
    stranger = sign_in(make_user()).headers

    assert_problem(client.get(team_url(team["id"]), headers=stranger), 404, "not_found")
    assert client.get(team_url(team["id"]), headers=admin_headers).status_code == 200


def test_a_missing_team_is_not_found(client, auth_headers):
    assert_problem(client.get(team_url(999), headers=auth_headers), 404, "not_found")


def test_deleting_a_team(app, client, create_team, auth_headers):
    team = create_team(auth_headers)

    assert client.delete(team_url(team["id"]), headers=auth_headers).status_code == 204

    assert_problem(client.get(team_url(team["id"]), headers=auth_headers), 404, "not_found")
    assert client.get(TEAMS, headers=auth_headers).get_json()["items"] == []
    with app.app_context():
        assert db.session.get(Team, team["id"]).deleted_at is not None
    (event,) = audit_of(app, "team.deleted")
    assert (event.target_id, event.details) == (team["id"], {"name": "risk"})


def test_a_member_cannot_delete_the_team(client, make_user, sign_in, create_team, set_role):
    rita, bob = make_user("rita"), make_user("bob")
    team = create_team(sign_in(rita).headers)
    set_role(sign_in(rita).headers, team["id"], "bob")

    response = client.delete(team_url(team["id"]), headers=sign_in(bob).headers)

    assert_problem(response, 403, "forbidden")


def _team_model(app, team_id: int, owner_id: int, *, deleted: bool) -> None:
    with app.app_context():
        db.session.add(
            MLModel(
                owner_id=owner_id,
                team_id=team_id,
                name="churn",
                version=1,
                model_type="LinearRegression",
                task="regression",
                n_features=10,
                sha256="0" * 64,
                size_bytes=1,
                deleted_at=utcnow() if deleted else None,
            )
        )
        db.session.commit()


def test_a_team_that_owns_a_live_model_is_not_deleted(app, client, user, create_team, auth_headers):
    team = create_team(auth_headers)
    _team_model(app, team["id"], user.id, deleted=False)

    assert_problem(client.delete(team_url(team["id"]), headers=auth_headers), 409, "conflict")
    assert client.get(team_url(team["id"]), headers=auth_headers).status_code == 200
    assert audit_of(app, "team.deleted") == []


def test_a_team_whose_models_are_all_deleted_may_go(app, client, user, create_team, auth_headers):
    team = create_team(auth_headers)
    _team_model(app, team["id"], user.id, deleted=True)

    assert client.delete(team_url(team["id"]), headers=auth_headers).status_code == 204


def test_a_registration_that_loses_the_name_to_a_team_is_told_so(
    client, create_team, auth_headers, monkeypatch
):
    """The team claims the name between the registration's check and its insert: the
    claims' primary key refuses the user, with the team's answer."""
    create_team(auth_headers, "risk")
    answers = iter([False, True])
    monkeypatch.setattr(accounts, "team_has_name", lambda _name: next(answers))

    response = client.post(
        "/api/v1/auth/register",
        json={
            "username": "risk",
            "email": "risk@example.com",
            "password": "a-team-player-password",
        },
    )

    assert "already taken" in assert_problem(response, 409, "conflict")["detail"]
