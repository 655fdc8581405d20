"""Models by full name: ``<user or team>/<name>``, its live versions and its aliases."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from mlapi.audit.models import AuditEvent
from mlapi.extensions import db
from mlapi.registry.signals import model_alias_moved
from tests.team_records import add_team, add_version
from tests.unit.helpers import assert_problem

REGISTRY = "/api/v1/registry"


@dataclass
class Actor:
    id: int
    username: str
    headers: dict


@dataclass
class RiskTeam:
    """Team "Risk": alice maintains it, mia is a member, bob is not; its model "churn"
    has versions 1 and 2 (2 is the newest)."""

    id: int
    alice: Actor
    mia: Actor
    bob: Actor
    v1: int
    v2: int


@pytest.fixture
def actor(make_user, sign_in):
    def make(**kwargs) -> Actor:
        user = make_user(**kwargs)
        return Actor(user.id, user.username, sign_in(user).headers)

    return make


@pytest.fixture
def risk(app, actor) -> RiskTeam:
    alice, mia, bob = actor(), actor(), actor()
    team_id = add_team(app, "Risk", {alice.id: "maintainer", mia.id: "member"})
    v1 = add_version(app, alice.id, "churn", 1, team_id=team_id)
    v2 = add_version(app, alice.id, "churn", 2, team_id=team_id, scale=2.0)
    return RiskTeam(team_id, alice, mia, bob, v1, v2)


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_user_model_is_found_by_its_full_name_with_live_versions_only(app, client, actor):
    alice = actor(username="Alice")
    for version in (1, 2, 3):
        add_version(app, alice.id, "churn", version, deleted=version == 2)

    answer = client.get(f"{REGISTRY}/alice/churn", headers=alice.headers)

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["full_name"] == "Alice/churn"  # the namespace as its owner spells it
    assert [record["version"] for record in body["versions"]] == [1, 3]
    assert body["aliases"] == {"latest": 3}


def test_a_team_model_is_found_by_the_team_name_not_the_uploaders(client, risk):
    answer = client.get(f"{REGISTRY}/risk/churn", headers=risk.mia.headers)

    assert answer.status_code == 200
    assert answer.get_json()["full_name"] == "Risk/churn"
    assert [r["id"] for r in answer.get_json()["versions"]] == [risk.v1, risk.v2]
    uploader = client.get(f"{REGISTRY}/{risk.alice.username}/churn", headers=risk.alice.headers)
    assert_problem(uploader, 404, "not_found")


@pytest.mark.parametrize("path", ["risk/churn", "risk/nothing", "nobody/churn"])
def test_a_name_someone_may_not_see_is_answered_as_missing(client, risk, path):
    assert_problem(client.get(f"{REGISTRY}/{path}", headers=risk.bob.headers), 404, "not_found")


def test_a_public_name_is_seen_by_anyone(app, client, risk):
    add_version(app, risk.alice.id, "open", 1, team_id=risk.id, visibility="public")

    answer = client.get(f"{REGISTRY}/risk/open", headers=risk.bob.headers)

    assert answer.status_code == 200
    assert answer.get_json()["aliases"] == {"latest": 1}


def test_a_maintainer_points_an_alias_at_a_version_and_moves_it(app, client, risk):
    alias = f"{REGISTRY}/risk/churn/aliases/production"

    first = client.put(alias, json={"version": 2}, headers=risk.alice.headers)
    moved = client.put(alias, json={"version": 1}, headers=risk.alice.headers)

    assert first.status_code == 200
    assert first.get_json() == {"alias": "production", "version": 2, "model_id": risk.v2}
    assert moved.get_json() == {"alias": "production", "version": 1, "model_id": risk.v1}
    listed = client.get(f"{REGISTRY}/risk/churn", headers=risk.mia.headers).get_json()
    assert listed["aliases"] == {"latest": 2, "production": 1}
    records = audit_events(app, "alias.moved")
    assert [(e.target_type, e.target_id, e.details) for e in records] == [
        (
            "alias",
            risk.v2,
            {
                "alias": "production",
                "full_name": "Risk/churn",
                "version": 2,
                "previous_version": None,
            },
        ),
        (
            "alias",
            risk.v1,
            {"alias": "production", "full_name": "Risk/churn", "version": 1, "previous_version": 2},
        ),
    ]
    assert records[0].actor_id == risk.alice.id


def test_moving_an_alias_tells_the_webhooks(app, client, risk):
    sent = []

    def note(_sender, **kwargs):
        sent.append(kwargs)

    with model_alias_moved.connected_to(note):
        client.put(
            f"{REGISTRY}/risk/churn/aliases/production",
            json={"version": 2},
            headers=risk.alice.headers,
        )

    assert sent == [
        {
            "owner_id": risk.alice.id,
            "team_id": risk.id,
            "data": {
                "alias": "production",
                "full_name": "Risk/churn",
                "version": 2,
                "model_id": risk.v2,
                "previous_version": None,
            },
        }
    ]


@pytest.mark.parametrize(
    ("who", "status", "code"), [("mia", 403, "forbidden"), ("bob", 404, "not_found")]
)
def test_only_managers_move_or_remove_aliases(app, client, risk, who, status, code):
    headers = getattr(risk, who).headers
    alias = f"{REGISTRY}/risk/churn/aliases/production"
    client.put(alias, json={"version": 1}, headers=risk.alice.headers)

    assert_problem(client.put(alias, json={"version": 2}, headers=headers), status, code)
    assert_problem(client.delete(alias, headers=headers), status, code)
    assert client.get(f"{REGISTRY}/risk/churn", headers=risk.alice.headers).get_json()[
        "aliases"
    ] == {"latest": 2, "production": 1}


@pytest.mark.parametrize("method", ["put", "delete"])
def test_latest_is_reserved(client, risk, method):
    answer = getattr(client, method)(
        f"{REGISTRY}/risk/churn/aliases/latest", json={"version": 1}, headers=risk.alice.headers
    )

    assert "alias" in assert_problem(answer, 422, "validation_error")["errors"]


@pytest.mark.parametrize("alias", ["Production", "9lives", "a" * 33, "prod_eu"])
def test_what_cannot_be_an_alias_is_not_found(client, risk, alias):
    answer = client.put(
        f"{REGISTRY}/risk/churn/aliases/{alias}", json={"version": 1}, headers=risk.alice.headers
    )

    assert_problem(answer, 404, "not_found")


def test_an_alias_to_a_deleted_or_missing_version_is_not_found(app, client, risk):
    add_version(app, risk.alice.id, "churn", 3, team_id=risk.id, deleted=True)
    alias = f"{REGISTRY}/risk/churn/aliases/production"

    for version in (3, 4):
        answer = client.put(alias, json={"version": version}, headers=risk.alice.headers)
        assert_problem(answer, 404, "not_found")


@pytest.mark.parametrize("body", [{}, {"version": "2"}, {"version": 0}, {"version": 2, "x": 1}])
def test_an_alias_needs_a_version_number(client, risk, body):
    answer = client.put(
        f"{REGISTRY}/risk/churn/aliases/production", json=body, headers=risk.alice.headers
    )

    assert_problem(answer, 422, "validation_error")


def test_removing_an_alias(app, client, risk):
    alias = f"{REGISTRY}/risk/churn/aliases/staging"
    client.put(alias, json={"version": 1}, headers=risk.alice.headers)

    removed = client.delete(alias, headers=risk.alice.headers)

    assert removed.status_code == 204
    listed = client.get(f"{REGISTRY}/risk/churn", headers=risk.alice.headers).get_json()
    assert listed["aliases"] == {"latest": 2}
    assert_problem(client.delete(alias, headers=risk.alice.headers), 404, "not_found")
    [record] = audit_events(app, "alias.deleted")
    assert (record.target_id, record.details) == (
        risk.v1,
        {"alias": "staging", "full_name": "Risk/churn", "version": 1, "reason": "removed"},
    )


def test_deleting_a_version_removes_the_aliases_naming_it(app, client, risk):
    for alias, version in (("production", 1), ("canary", 1), ("staging", 2)):
        client.put(
            f"{REGISTRY}/risk/churn/aliases/{alias}",
            json={"version": version},
            headers=risk.alice.headers,
        )

    deleted = client.delete(f"/api/v1/models/{risk.v1}", headers=risk.alice.headers)

    assert deleted.status_code == 204
    listed = client.get(f"{REGISTRY}/risk/churn", headers=risk.alice.headers).get_json()
    assert listed["aliases"] == {"latest": 2, "staging": 2}
    assert [r["version"] for r in listed["versions"]] == [2]
    records = audit_events(app, "alias.deleted")
    assert sorted(e.details["alias"] for e in records) == ["canary", "production"]
    assert {e.details["reason"] for e in records} == {"version_deleted"}
    assert {e.target_id for e in records} == {risk.v1}


def test_when_the_newest_version_goes_latest_names_the_one_before(client, risk):
    client.delete(f"/api/v1/models/{risk.v2}", headers=risk.alice.headers)

    listed = client.get(f"{REGISTRY}/risk/churn", headers=risk.mia.headers).get_json()

    assert listed["aliases"] == {"latest": 1}
