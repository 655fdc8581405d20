"""Which events queue deliveries, to whom, and in the same commit as the change."""

import json

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from mlapi.auth.models import User
from mlapi.extensions import db
from mlapi.registry.signals import model_created
from mlapi.webhooks.models import PENDING, WebhookDelivery
from tests.unit.helpers import ROW

ALL_EVENTS = ["model.created", "model.deleted", "prediction.feedback"]


def queued(app) -> list[tuple[int, str, dict]]:
    """(hook id, event, body) of every queued delivery, oldest first."""
    with app.app_context():
        rows = db.session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars()
        result = [
            (row.webhook_id, row.event, json.loads(row.body))
            for row in rows
            if row.status == PENDING
        ]
        db.session.remove()
        return result


@pytest.fixture
def hook(create_hook, auth_headers) -> dict:
    return create_hook(auth_headers, events=ALL_EVENTS)


def test_an_upload_announces_the_new_model(app, hook, upload_model, auth_headers):
    record = upload_model(auth_headers, "churn")
    [(hook_id, event, body)] = queued(app)
    assert (hook_id, event) == (hook["id"], "model.created")
    assert body["data"] == record  # the model's public record, as the API shows it
    assert body["id"].startswith("evt_")


def test_a_new_version_is_announced_too(app, hook, upload_model, auth_headers):
    upload_model(auth_headers, "churn")
    upload_model(auth_headers, "churn")
    assert [body["data"]["version"] for _, _, body in queued(app)] == [1, 2]


def test_a_deletion_is_announced(app, hook, upload_model, auth_headers, client):
    record = upload_model(auth_headers, "churn")
    assert client.delete(f"/api/v1/models/{record['id']}", headers=auth_headers).status_code == 204
    _, event, body = queued(app)[-1]
    assert event == "model.deleted"
    assert body["data"]["id"] == record["id"]


def test_feedback_is_announced_with_its_prediction(app, hook, client, auth_headers):
    answer = client.post("/api/v1/predict", json={"features": ROW}, headers=auth_headers)
    prediction_id = answer.get_json()["prediction_id"]
    feedback = client.post(
        f"/api/v1/predictions/{prediction_id}/feedback",
        json={"actual_value": 150.0, "score": 4},
        headers=auth_headers,
    )
    assert feedback.status_code == 201
    [(_, event, body)] = queued(app)
    assert event == "prediction.feedback"
    assert body["data"]["prediction_id"] == prediction_id
    assert body["data"]["actual_value"] == 150.0
    assert body["data"]["model_id"] == answer.get_json()["model_id"]


def test_a_hook_hears_only_the_events_it_asked_for(
    app, create_hook, upload_model, auth_headers, client
):
    create_hook(auth_headers, events=["model.deleted"])
    upload_model(auth_headers, "churn")
    assert queued(app) == []


def test_a_hook_hears_only_its_owners_events(
    app, hook, make_user, sign_in, upload_model, create_hook
):
    other = sign_in(make_user()).headers
    other_hook = create_hook(other, events=ALL_EVENTS)
    upload_model(other, "theirs")
    assert [hook_id for hook_id, _, _ in queued(app)] == [other_hook["id"]]


def test_every_listening_hook_of_the_owner_gets_the_same_event(
    app, hook, create_hook, upload_model, auth_headers
):
    second = create_hook(auth_headers, "https://other.example.com/in", ALL_EVENTS)
    upload_model(auth_headers, "churn")
    (first_id, _, first), (second_id, _, again) = queued(app)
    assert {first_id, second_id} == {hook["id"], second["id"]}
    assert first["id"] == again["id"]  # one event, told to each hook


def test_a_deactivated_owners_hooks_hear_nothing(app, hook, user, upload_model, auth_headers):
    from mlapi.webhooks import events

    with app.app_context():
        db.session.get(User, user.id).is_active = False
        assert events.enqueue(db.session, "model.created", user.id, {}) == []
        db.session.rollback()


def test_a_failed_change_queues_nothing(app, hook, upload_model, auth_headers):
    upload_model(auth_headers, "churn", kind="not_a_model", expect=422)
    assert queued(app) == []


def test_an_announcement_rolled_back_is_forgotten(app, hook, user):
    """The registry's signal fired inside a change that then fails: nothing may be told."""
    with app.app_context():
        model_created.send(app, owner_id=user.id, team_id=None, data={"name": "ghost"})
        db.session.rollback()
        db.session.commit()
        db.session.remove()
    assert queued(app) == []


@pytest.fixture
def commits():
    """The ORM classes of the rows each commit wrote, one set per commit, in order."""
    written, pending = [], set()

    def flushed(session, _context):
        pending.update(type(obj).__name__ for obj in (*session.new, *session.dirty))

    def committed(_session):
        written.append(set(pending))
        pending.clear()

    def rolled_back(_session):
        pending.clear()

    hooks = [("after_flush", flushed), ("after_commit", committed), ("after_rollback", rolled_back)]
    for name, hook in hooks:
        event.listen(Session, name, hook)
    yield written
    for name, hook in hooks:
        event.remove(Session, name, hook)


@pytest.mark.parametrize("change", ["upload", "delete", "feedback"])
def test_a_change_and_its_deliveries_are_one_commit(
    app, hook, upload_model, auth_headers, client, commits, change
):
    record = upload_model(auth_headers, "churn")
    answer = client.post(
        f"/api/v1/models/{record['id']}/predict", json={"features": ROW}, headers=auth_headers
    ).get_json()
    commits.clear()
    if change == "upload":
        upload_model(auth_headers, "churn")
        changed = "MLModel"
    elif change == "delete":
        client.delete(f"/api/v1/models/{record['id']}", headers=auth_headers)
        changed = "MLModel"
    else:
        client.post(
            f"/api/v1/predictions/{answer['prediction_id']}/feedback",
            json={"actual_value": 150.0},
            headers=auth_headers,
        )
        changed = "Feedback"
    [together] = [written for written in commits if "WebhookDelivery" in written]
    assert changed in together
