"""Each change leaves one record saying who did it, to what, and in which request."""

import pytest
from sqlalchemy import select

from mlapi.audit.models import AuditEvent
from mlapi.extensions import db
from tests.support.audit import HOOK_URL, SWEEP, secrets_in_audit_details
from tests.support.audit_change import action_of


@pytest.mark.parametrize("row", sorted(SWEEP))
def test_a_change_is_recorded_with_its_actor_target_and_request(stage, audit_events, row):
    change, action = SWEEP[row], action_of(row)
    change.prepare(stage)
    before = len(audit_events(action=action))

    response = change.perform(stage)

    assert response.status_code < 300, response.get_json()
    events = audit_events(action=action)
    assert len(events) == before + 1
    event = events[-1]
    actor = stage.admin if change.actor == "admin" else stage.user
    assert event["actor"] == {
        "kind": "user",
        "id": actor.id,
        "username": actor.username,
        "api_key_id": None,
    }
    assert event["target"]["type"] == change.target_type
    assert event["request_id"] == response.headers["X-Request-ID"]
    expected = change.details(stage)
    assert {key: event["details"].get(key) for key in expected} == expected
    assert secrets_in_audit_details(stage.app) == []


def test_a_role_change_names_the_old_and_the_new_role(stage, audit_events):
    SWEEP["user.role_changed"].perform(stage)

    (event,) = audit_events(action="user.role_changed")
    assert event["target"] == {"type": "user", "id": stage.user.id}
    assert event["details"] == {
        "username": stage.user.username,
        "role": "admin",
        "previous_role": "user",
    }


def test_setting_a_value_the_user_already_has_records_nothing(stage, audit_events):
    response = stage.client.patch(
        f"/api/v1/admin/users/{stage.user.id}",
        json={"role": "user", "is_active": True},
        headers=stage.admin_headers,
    )

    assert response.status_code == 200
    assert audit_events(target_type="user") == []


def test_one_request_with_two_changes_writes_two_records(stage, audit_events):
    stage.client.patch(
        f"/api/v1/admin/users/{stage.user.id}",
        json={"role": "admin", "is_active": False},
        headers=stage.admin_headers,
    )

    actions = [event["action"] for event in audit_events(target_type="user")]
    assert sorted(actions) == ["user.deactivated", "user.role_changed"]


def test_a_change_made_with_an_api_key_names_the_key(stage, audit_events):
    key = SWEEP["api_key.created"].perform(stage).get_json()

    response = stage.client.post(
        "/api/v1/webhooks",
        json={"url": HOOK_URL, "events": ["model.created"]},
        headers={"X-API-Key": key["key"]},
    )

    assert response.status_code == 201, response.get_json()
    (event,) = audit_events(action="webhook.created")
    assert event["actor"]["id"] == stage.user.id
    assert event["actor"]["api_key_id"] == key["id"]
    (created,) = audit_events(action="api_key.created")
    assert created["details"]["name"] == "nightly"
    assert created["details"]["prefix"] == key["prefix"]
    assert created["details"]["expires_at"] == key["expires_at"]


def test_a_promotion_from_the_command_line_is_recorded_as_the_cli(app, user, audit_events):
    result = app.test_cli_runner().invoke(args=["promote", user.username])

    assert result.exit_code == 0, result.output
    (event,) = audit_events(action="user.role_changed")
    assert event["actor"] == {"kind": "cli", "id": None, "username": None, "api_key_id": None}
    assert event["request_id"] is None
    assert event["details"]["previous_role"] == "user"


def test_the_first_start_records_the_default_model_as_the_system(app, audit_events):
    (event,) = audit_events(action="default_model.changed")

    assert event["actor"]["kind"] == "system"
    assert event["details"]["previous_model_id"] is None
    assert event["details"]["full_name"].endswith("/diabetes-linear")
    with app.app_context():
        default_id = db.session.scalar(
            select(AuditEvent.target_id).where(AuditEvent.action == "default_model.changed")
        )
    assert event["target"] == {"type": "model", "id": default_id}


def test_switching_the_default_names_the_previous_one(stage, audit_events):
    (first,) = audit_events(action="default_model.changed")
    SWEEP["default_model.changed"].prepare(stage)

    SWEEP["default_model.changed"].perform(stage)

    latest = audit_events(action="default_model.changed")[-1]
    assert latest["target"]["id"] == stage.kept["model"]
    assert latest["details"]["previous_model_id"] == first["target"]["id"]
    assert latest["details"]["version"] == 1


def test_a_webhook_record_keeps_the_host_and_never_the_url(stage, audit_events):
    response = stage.client.post(
        "/api/v1/webhooks",
        json={
            "url": "https://hooks.example.com/in?token=tok-981-secret",
            "events": ["model.created", "model.deleted"],
        },
        headers=stage.user_headers,
    )

    assert response.status_code == 201, response.get_json()
    (event,) = audit_events(action="webhook.created")
    assert event["details"] == {
        "host": "hooks.example.com",
        "events": ["model.created", "model.deleted"],
    }
