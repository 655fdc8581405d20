"""The data scientists' webhook receiver: mlapi tells it when one of the team's models is
created or deleted and when someone reports an outcome on one of the team's predictions;
it turns each delivery's body into what the team's dashboards record.

The signature (``X-MLAPI-Signature``) is checked before ``parse`` sees a body.
"""

import json
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ModelChange:
    event_id: str  # de-duplicates retried deliveries
    kind: str  # "model.created" or "model.deleted"
    at: datetime
    model_id: int
    name: str
    version: int
    sha256: str
    owner: str


@dataclass(frozen=True)
class Outcome:
    event_id: str
    at: datetime
    prediction_id: int
    model_id: int
    actual_value: object  # a class label, or a number for a regression model


def parse(body: str | bytes) -> ModelChange | Outcome:
    """One delivery's JSON body; ``ValueError`` for an event the receiver does not know."""
    envelope = json.loads(body)
    event, data = envelope["event"], envelope["data"]
    at = datetime.fromisoformat(envelope["created_at"])
    if event in ("model.created", "model.deleted"):
        return ModelChange(
            envelope["id"],
            event,
            at,
            data["id"],
            data["name"],
            data["version"],
            data["sha256"],
            data["owner"]["username"],
        )
    if event == "prediction.feedback":
        return Outcome(
            envelope["id"], at, data["prediction_id"], data["model_id"], data["actual_value"]
        )
    raise ValueError(f"unknown event {event!r}")
