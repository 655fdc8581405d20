"""Moving a model name into a team and back: every record goes (tombstones and aliases
too), version numbers stay, clashes are refused; and the audit records of model changes."""

import pytest
from sqlalchemy import select

from mlapi.audit.models import AuditEvent
from mlapi.extensions import db
from mlapi.registry.models import MLModel, ModelAlias
from tests.steps.common_steps import assert_refused, assert_refused_pointing_at
from tests.unit.registry.test_upload import form_for, post_form

MODELS = "/api/v1/models"


@pytest.fixture
def churn(client, upload_model, people):
    """Alice's churn: version 1 deleted, versions 2 and 3 live; returns version 3."""
    _, headers = people
    first = upload_model(headers["alice"], "churn")
    upload_model(headers["alice"], "churn")
    assert client.delete(f"{MODELS}/{first['id']}", headers=headers["alice"]).status_code == 204
    return upload_model(headers["alice"], "churn")


def move(client, record, headers, team):
    return client.patch(f"{MODELS}/{record['id']}", json={"team": team}, headers=headers)


def records_named(app, name):
    with app.app_context():
        rows = db.session.scalars(select(MLModel).where(MLModel.name == name)).all()
        return sorted((r.version, r.team_id, r.owner_id, r.deleted_at is None) for r in rows)


def test_a_move_carries_every_version_and_tombstone_keeping_numbers(
    app, client, upload_model, people, risk, churn
):
    users, headers = people

    response = move(client, churn, headers["alice"], "risk")

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["full_name"] == "risk/churn"
    alice = users["alice"].id
    assert records_named(app, "churn") == [
        (1, risk, alice, False),
        (2, risk, alice, True),
        (3, risk, alice, True),
    ]
    assert client.get(f"{MODELS}/{churn['id']}", headers=headers["mia"]).status_code == 200
    next_one = post_form(client, headers["bob"], **form_for(team="risk")).get_json()
    assert next_one["version"] == 4
    assert upload_model(headers["alice"], "churn")["version"] == 1  # alice/churn is free again


def test_aliases_follow_the_name(app, client, people, risk, churn):
    _, headers = people
    with app.app_context():
        first = db.session.scalar(
            select(MLModel).where(MLModel.name == "churn", MLModel.version == 1)
        )
        db.session.add(ModelAlias(name_id=first.id, alias="production", model_id=churn["id"]))
        db.session.commit()

    move(client, churn, headers["alice"], "risk")

    with app.app_context():
        alias = db.session.scalar(select(ModelAlias))
        assert db.session.get(MLModel, alias.name_id).team_id == risk
        assert alias.model_id == churn["id"]


def test_a_name_the_team_has_ever_had_clashes(client, people, risk, churn):
    _, headers = people
    theirs = post_form(client, headers["bob"], **form_for(team="risk")).get_json()
    assert client.delete(f"{MODELS}/{theirs['id']}", headers=headers["bob"]).status_code == 204

    assert_refused(move(client, churn, headers["alice"], "risk"), 409, "conflict")


def test_only_a_maintainer_of_the_target_team_may_move_into_it(client, upload_model, people, risk):
    _, headers = people
    mias = upload_model(headers["mia"], "mias")
    noras = upload_model(headers["nora"], "noras")

    assert_refused(move(client, mias, headers["mia"], "risk"), 403, "forbidden")
    assert_refused_pointing_at(move(client, noras, headers["nora"], "risk"), "team")
    assert_refused_pointing_at(move(client, noras, headers["nora"], "nosuchteam"), "team")


def test_someone_who_may_not_manage_the_model_may_not_move_it(client, people, risk, churn):
    _, headers = people
    client.patch(f"{MODELS}/{churn['id']}", json={"visibility": "public"}, headers=headers["alice"])

    assert_refused(move(client, churn, headers["bob"], "risk"), 403, "forbidden")


def test_back_to_the_first_uploader(app, client, people, risk, churn):
    _, headers = people
    move(client, churn, headers["alice"], "risk")

    assert_refused(move(client, churn, headers["bob"], None), 403, "forbidden")
    response = move(client, churn, headers["alice"], None)

    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["team"], response.get_json()["full_name"]) == (None, "alice/churn")
    assert {row[1] for row in records_named(app, "churn")} == {None}
    assert_refused(client.get(f"{MODELS}/{churn['id']}", headers=headers["mia"]), 403, "forbidden")


def test_an_admin_moves_a_team_model_back_to_a_name_that_clashes_no_more(
    client, upload_model, people, risk, admin_headers
):
    _, headers = people
    model = post_form(client, headers["bob"], **form_for(team="risk")).get_json()
    clash = upload_model(headers["bob"], "churn")

    assert_refused(move(client, model, admin_headers, None), 409, "conflict")
    assert client.delete(f"{MODELS}/{clash['id']}", headers=headers["bob"]).status_code == 204
    assert_refused(move(client, model, admin_headers, None), 409, "conflict")  # tombstone too

    other = post_form(client, headers["bob"], **form_for(name="other", team="risk")).get_json()
    response = move(client, other, admin_headers, None)
    assert response.get_json()["full_name"] == "bob/other"


def test_every_change_is_audited_with_its_details(app, client, people, risk, churn):
    _, headers = people
    path = f"{MODELS}/{churn['id']}"
    client.patch(path, json={"description": "v3"}, headers=headers["alice"])
    client.patch(path, json={"visibility": "public"}, headers=headers["alice"])
    move(client, churn, headers["alice"], "risk")
    client.delete(path, headers=headers["bob"])

    with app.app_context():
        first_id = db.session.scalar(
            select(MLModel.id).where(MLModel.name == "churn", MLModel.version == 1)
        )
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        seen = [
            (e.actor_username, e.action, e.target_type, e.target_id, e.details)
            for e in events
            if e.action.startswith("model.")
        ]
    churn_v3 = {"name": "churn", "version": 3}
    assert seen[-4:] == [
        ("alice", "model.updated", "model", churn["id"], {"changes": {"description": "v3"}}),
        ("alice", "model.updated", "model_name", first_id, {"changes": {"visibility": "public"}}),
        (
            "alice",
            "model.moved",
            "model_name",
            first_id,
            {"name": "churn", "from": "alice", "to": "risk"},
        ),
        ("bob", "model.deleted", "model", churn["id"], {**churn_v3, "full_name": "risk/churn"}),
    ]
    uploaded = [details for _, action, _, _, details in seen if action == "model.uploaded"]
    assert uploaded[-1] == {
        **churn_v3,
        "full_name": "alice/churn",
        "team": None,
        "visibility": "private",
    }


def test_a_team_upload_is_audited_with_the_team(app, client, people, risk):
    _, headers = people
    body = post_form(
        client, headers["bob"], **form_for(team="risk", visibility="public")
    ).get_json()

    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.target_id == body["id"]))
    assert (event.action, event.actor_username, event.details) == (
        "model.uploaded",
        "bob",
        {
            "name": "churn",
            "version": 1,
            "full_name": "risk/churn",
            "team": "risk",
            "visibility": "public",
        },
    )
