"""The events the data scientists' webhook receiver parses, as message pacts (writes
contract/pacts/datascience-webhooks-mlapi.json). The provider's verification builds each
body with mlapi's own payload builder for that event. A separate consumer from the HTTP
pact: the receiver is its own service, and the mock server cannot serve a pact holding
message interactions."""

from datetime import UTC, datetime

from pact import match

from ..terms import FEATURE_NAMES, FEEDBACK, JSON, PRIVATE_MODEL, SHA256, WEBHOOK, timestamp
from .webhooks import ModelChange, Outcome, parse

CONSUMER = "datascience-webhooks"
USER = "datascience-app"
MODEL = "datascience-model"
EVENT_ID = "evt_0123456789abcdef0123456789abcdef"
WHEN = "2026-12-07T09:30:00.123456+00:00"
DIGEST = "3f" * 32


def envelope(event: str, data: dict) -> dict:
    return {
        "id": match.regex(EVENT_ID, regex=r"^evt_[0-9a-f]{32}$"),
        "event": event,
        "created_at": timestamp(WHEN),
        "data": data,
    }


def model_data() -> dict:
    return {
        "id": match.int(12),
        "name": MODEL,
        "version": match.int(1),
        "task": "classification",
        "feature_names": FEATURE_NAMES,
        "owner": {"id": match.int(3), "username": USER},
        "sha256": match.regex(DIGEST, regex=SHA256),
        "created_at": timestamp(),
    }


def received(pact) -> list:
    """What the receiver made of each message of ``pact``."""
    parsed = []
    pact.verify(lambda body, _metadata: parsed.append(parse(body)), "Async")
    return parsed


def test_model_created(pact):
    (
        pact.upon_receiving("a model.created event", "Async")
        .given(WEBHOOK, user=USER)
        .given(PRIVATE_MODEL, user=USER, model=MODEL)
        .with_body(envelope("model.created", model_data()), content_type=JSON)
    )
    assert received(pact) == [
        ModelChange(
            EVENT_ID,
            "model.created",
            datetime(2026, 12, 7, 9, 30, 0, 123456, tzinfo=UTC),
            12,
            MODEL,
            1,
            DIGEST,
            USER,
        )
    ]


def test_model_deleted(pact):
    (
        pact.upon_receiving("a model.deleted event", "Async")
        .given(WEBHOOK, user=USER)
        .given(PRIVATE_MODEL, user=USER, model=MODEL)
        .with_body(envelope("model.deleted", model_data()), content_type=JSON)
    )
    [change] = received(pact)
    assert (change.kind, change.model_id, change.version) == ("model.deleted", 12, 1)


def test_feedback_given(pact):
    (
        pact.upon_receiving("a prediction.feedback event", "Async")
        .given(WEBHOOK, user=USER)
        .given(FEEDBACK, user=USER)
        .with_body(
            envelope(
                "prediction.feedback",
                {
                    "id": match.int(8),
                    "prediction_id": match.int(51),
                    "model_id": match.int(12),
                    "actual_value": match.int(1),
                    "created_at": timestamp(),
                },
            ),
            content_type=JSON,
        )
    )
    assert received(pact) == [Outcome(EVENT_ID, datetime.fromisoformat(WHEN), 51, 12, 1)]
