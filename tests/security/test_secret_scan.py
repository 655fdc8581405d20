"""The session-wide secret scan (tests/contract_client.py) catches what it must, and only that.

Every other test relies on it silently; these prove it bites: a password echoed in a
response or written to a log fails the test, a once-shown key seen again fails it, and a
value the test itself sent as an ordinary field may be echoed freely.
"""

import logging

import pytest
from flask import jsonify, request
from sqlalchemy import select

from mlapi.audit.models import AuditEvent
from mlapi.audit.service import record
from mlapi.extensions import db
from tests import contract_client
from tests.contract_client import SecretLeak, secret_log_handler
from tests.support.audit import SWEEP, secrets_in_audit_details

PASSWORD = "never-echo-this-password"


def _echo():
    return jsonify(request.get_json())


def _echo_key():
    return jsonify({"your_key": request.headers["X-API-Key"]})


def _log_it():
    logging.getLogger("mlapi.test").warning("body was %s", request.get_json())
    return "", 204


@pytest.fixture
def echo_client(app):
    """A client of an app with test-only routes that leak what they are sent."""
    app.add_url_rule("/test-only/echo", view_func=_echo, methods=["POST"])
    app.add_url_rule("/test-only/log", view_func=_log_it, methods=["POST"])
    app.add_url_rule("/test-only/key", view_func=_echo_key)
    return app.test_client()


def test_a_password_echoed_in_a_response_fails_the_test(echo_client):
    with pytest.raises(SecretLeak, match="response holds a secret"):
        echo_client.post("/test-only/echo", json={"password": PASSWORD})


def test_a_password_in_a_log_line_fails_the_test(echo_client):
    with pytest.raises(SecretLeak, match=r"log record of 'mlapi\.test'"):
        echo_client.post("/test-only/log", json={"new_password": PASSWORD + "-2"})


def test_a_key_shown_once_must_not_be_shown_again(echo_client, auth_headers):
    created = echo_client.post(
        "/api/v1/auth/api-keys", json={"name": "job"}, headers=auth_headers
    ).get_json()

    with pytest.raises(SecretLeak):
        echo_client.get("/test-only/key", headers={"X-API-Key": created["key"]})


def test_a_value_also_sent_as_an_ordinary_field_may_be_echoed(echo_client):
    same = "chosen-as-name-and-password"
    response = echo_client.post("/test-only/echo", json={"name": same, "password": same})

    assert response.status_code == 200
    assert secret_log_handler.take() == []


def test_a_password_deep_in_a_batch_is_still_a_secret(echo_client):
    with pytest.raises(SecretLeak, match="response holds a secret"):
        echo_client.post(
            "/test-only/echo",
            json={"samples": [[0, 1], [{"accounts": [{"password": PASSWORD + "-3"}]}]]},
        )


def test_a_body_of_a_million_numbers_is_scanned_without_looking_at_each(monkeypatch):
    """Only strings can be secrets: the client looks at the body's two strings, not at its
    million numbers (the cost of a per-item look once dwarfed the server's own work)."""
    looked_at = []
    monkeypatch.setattr(contract_client.session_secrets, "declassify", looked_at.append)
    monkeypatch.setattr(contract_client.session_secrets, "add", looked_at.append)

    contract_client._note_request_fields(
        {
            "features": [0.5] * 1_000_000,
            "flags": [True, None],
            "count": 3,
            "name": "batch-of-zeros",
            "password": PASSWORD + "-4",
        }
    )

    assert sorted(looked_at) == ["batch-of-zeros", PASSWORD + "-4"]


def test_a_secret_in_an_audit_record_is_found(app):
    planted = "a-password-planted-in-a-record"
    contract_client.session_secrets.add(planted)  # as if a request had sent it
    with app.app_context():
        record("api_key.created", "api_key", 1, {"name": planted}, system=True)
        db.session.commit()

    assert secrets_in_audit_details(app) == [planted]


@pytest.mark.parametrize("row", sorted(SWEEP))
def test_no_audit_record_holds_a_password_key_token_or_webhook_secret(stage, sign_in, row):
    tokens = sign_in(stage.user)
    key = SWEEP["api_key.created"].perform(stage).get_json()["key"]
    hook = stage.client.post(
        "/api/v1/webhooks",
        json={
            "url": "https://hooks.example.com/in?token=query-secret-77",
            "events": ["model.created"],
        },
        headers={"X-API-Key": key},
    ).get_json()
    SWEEP[row].prepare(stage)
    SWEEP[row].perform(stage)

    assert secrets_in_audit_details(stage.app) == []  # passwords, keys, hook secrets
    with stage.app.app_context():
        details = str(db.session.scalars(select(AuditEvent.details)).all())
    for secret in (tokens.access, tokens.refresh, key, hook["secret"], "query-secret-77"):
        assert secret not in details
