"""Sending deliveries: signed POSTs, retries with backoff, giving up, refusing addresses.

``responses`` stands in for the receivers; the clock is passed in, so nothing sleeps.
"""

import json

import pytest
import requests

from mlapi.counters import WEBHOOK_DELIVERIES
from mlapi.timeutil import utcnow
from mlapi.webhooks.signing import verify
from tests.unit.webhooks.conftest import HOOK_URL


@pytest.fixture
def hook(create_hook, auth_headers) -> dict:
    return create_hook(auth_headers, events=["model.created"])


@pytest.fixture
def uploaded(hook, upload_model, auth_headers) -> dict:
    """A model whose upload queued one delivery to ``hook``."""
    return upload_model(auth_headers, "churn")


def attempts(client, hook, headers) -> list[dict]:
    response = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def counted(outcome: str) -> float:
    return WEBHOOK_DELIVERIES.labels(outcome=outcome)._value.get()


def test_a_delivery_is_a_signed_json_post_of_the_event(receiver, uploaded, hook, deliver):
    receiver.post(HOOK_URL, status=204)
    assert deliver() == {"delivered": 1}
    request = receiver.calls[0].request
    assert verify(hook["secret"], request.body, request.headers["X-MLAPI-Signature"])
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-MLAPI-Event"] == "model.created"
    assert request.headers["X-MLAPI-Delivery"].isdigit()
    assert request.headers["User-Agent"].startswith("mlapi-webhooks/")
    body = json.loads(request.body)
    assert set(body) == {"id", "event", "created_at", "data"}
    assert body["event"] == "model.created"
    assert body["data"]["id"] == uploaded["id"]
    assert body["data"]["name"] == "churn"
    assert body["data"]["version"] == 1
    assert body["created_at"].endswith("+00:00")


def test_a_delivered_event_is_not_sent_again(receiver, uploaded, deliver):
    receiver.post(HOOK_URL, status=200)
    deliver()
    assert deliver(after=3600) == {}


def test_each_attempt_is_logged(receiver, uploaded, hook, deliver, client, auth_headers):
    receiver.post(HOOK_URL, status=200)
    deliver()
    [logged] = attempts(client, hook, auth_headers)
    assert logged["event"] == "model.created"
    assert (logged["attempt"], logged["status_code"], logged["error"]) == (1, 200, None)
    assert logged["duration_ms"] >= 0
    assert logged["delivery_id"] == int(receiver.calls[0].request.headers["X-MLAPI-Delivery"])


def test_a_server_error_is_retried_after_the_backoff(
    receiver, uploaded, hook, deliver, client, auth_headers
):
    receiver.post(HOOK_URL, status=500)
    receiver.post(HOOK_URL, status=200)
    start = utcnow()
    assert deliver(at=start) == {"retrying": 1}
    assert deliver(0.5, at=start) == {}  # backoff (1 s) not over yet
    assert deliver(1.5, at=start) == {"delivered": 1}
    first, second = receiver.calls
    assert first.request.body == second.request.body  # the same bytes, the same signature
    assert first.request.headers["X-MLAPI-Signature"] == second.request.headers["X-MLAPI-Signature"]
    assert [(a["attempt"], a["status_code"]) for a in attempts(client, hook, auth_headers)] == [
        (2, 200),
        (1, 500),
    ]


def test_it_gives_up_after_three_attempts_with_doubling_backoff(
    receiver, uploaded, hook, deliver, client, auth_headers
):
    failed_before = counted("failed")
    receiver.post(HOOK_URL, status=503)
    start = utcnow()
    assert deliver(at=start) == {"retrying": 1}
    assert deliver(1.5, at=start) == {"retrying": 1}
    assert deliver(3, at=start) == {}  # second backoff is 2 s, from the second attempt
    assert deliver(4, at=start) == {"failed": 1}
    assert deliver(3600, at=start) == {}
    assert len(receiver.calls) == 3
    logged = attempts(client, hook, auth_headers)
    assert [a["attempt"] for a in logged] == [3, 2, 1]
    assert logged[0]["error"] == "HTTP 503"
    assert counted("failed") == failed_before + 1


@pytest.mark.parametrize(
    "failure", [requests.exceptions.ConnectTimeout("slow"), requests.exceptions.ReadTimeout("slow")]
)
def test_a_timeout_is_retried(receiver, uploaded, hook, deliver, client, auth_headers, failure):
    receiver.post(HOOK_URL, body=failure)
    receiver.post(HOOK_URL, status=200)
    assert deliver() == {"retrying": 1}
    assert deliver(after=2) == {"delivered": 1}
    retried = attempts(client, hook, auth_headers)[-1]
    assert retried["status_code"] is None
    assert "Timed out" in retried["error"]


def test_a_connection_error_is_retried(receiver, uploaded, hook, deliver, client, auth_headers):
    receiver.post(HOOK_URL, body=requests.exceptions.ConnectionError("refused"))
    assert deliver() == {"retrying": 1}
    assert "connect" in attempts(client, hook, auth_headers)[0]["error"]


@pytest.mark.parametrize("status", [400, 404, 410, 301])
def test_a_client_error_or_redirect_gives_up_at_once(receiver, uploaded, deliver, status):
    receiver.post(HOOK_URL, status=status, headers={"Location": "http://127.0.0.1/"})
    assert deliver() == {"failed": 1}
    assert len(receiver.calls) == 1  # the redirect was not followed
    assert deliver(after=3600) == {}


def test_another_request_error_gives_up(receiver, uploaded, deliver, client, hook, auth_headers):
    receiver.post(HOOK_URL, body=requests.exceptions.InvalidHeader("bad"))
    assert deliver() == {"failed": 1}
    assert "InvalidHeader" in attempts(client, hook, auth_headers)[0]["error"]


def test_a_name_rebound_to_a_private_address_gets_no_request(
    receiver, uploaded, hook, deliver, dns, client, auth_headers
):
    dns["hooks.example.com"] = ["93.184.215.14", "10.0.0.5"]
    receiver.post(HOOK_URL, status=200)
    assert deliver() == {"refused": 1}
    assert deliver(after=3600) == {}
    assert len(receiver.calls) == 0
    [logged] = attempts(client, hook, auth_headers)
    assert logged["status_code"] is None
    assert "Not sent" in logged["error"]
    assert "10.0.0.5" in logged["error"]


def test_a_name_that_stops_resolving_is_retried(receiver, uploaded, deliver, dns):
    del dns["hooks.example.com"]
    assert deliver() == {"retrying": 1}
    assert len(receiver.calls) == 0


def test_a_secret_the_server_can_no_longer_read_is_not_sent(
    receiver, uploaded, app, deliver, client, hook, auth_headers
):
    app.config["SECRET_KEY"] = "a-rotated-secret-key-of-at-least-32-bytes"
    assert deliver() == {"failed": 1}
    assert len(receiver.calls) == 0
    assert "MLAPI_SECRET_KEY" in attempts(client, hook, auth_headers)[0]["error"]
