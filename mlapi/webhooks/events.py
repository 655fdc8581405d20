"""Queue the deliveries an event causes, in the transaction of the change that caused it.

Callers (upload, delete, feedback) announce an event before their own commit; the
deliveries are added to the session at that commit (a ``before_commit`` listener), so the
change and its deliveries are committed together or not at all: a crash loses none, and
a change that is rolled back (or whose commit fails) announces nothing. Only the hooks of
the resource's owner that asked for the event hear it, and only while that owner's
account is active.
"""

import json
import uuid
from collections.abc import Callable
from datetime import UTC

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..extensions import db
from ..predictions.schemas import FeedbackRecord
from ..registry.schemas import ModelRecord
from ..timeutil import utcnow
from .models import PENDING, Webhook, WebhookDelivery

MODEL_CREATED, MODEL_DELETED, FEEDBACK_GIVEN = "model.created", "model.deleted", \
    "prediction.feedback"
ANNOUNCED = "mlapi.webhooks.announced"  # key in Session.info: events awaiting the commit


def enqueue(session: Session, event: str, owner_id: int, data: dict) -> list[WebhookDelivery]:
    """Add a delivery of ``event`` to each of the owner's hooks that listens for it."""
    hooks = session.execute(select(Webhook).join(User, Webhook.owner_id == User.id).where(
        Webhook.owner_id == owner_id, User.is_active.is_(True))).scalars()
    listening = [hook for hook in hooks if event in hook.events]
    if not listening:
        return []
    now = utcnow()
    envelope = {"id": f"evt_{uuid.uuid4().hex}", "event": event,
                "created_at": now.replace(tzinfo=UTC).isoformat(), "data": data}
    body = json.dumps(envelope, separators=(",", ":"), allow_nan=False)  # strict JSON
    deliveries = [WebhookDelivery(webhook_id=hook.id, event=event, body=body, status=PENDING,
                                  attempts=0, next_attempt_at=now, created_at=now)
                  for hook in listening]
    session.add_all(deliveries)
    return deliveries


def _announce(event: str, describe: Callable[[], tuple[int, dict]]) -> None:
    """Queue ``event`` at the next commit; ``describe`` gives (owner id, data) then, when
    the new rows have their ids."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback, which forgets the announcement, sees it
    session.info.setdefault(ANNOUNCED, []).append((event, describe))


def model_created(record) -> None:
    _announce(MODEL_CREATED, lambda: (record.owner_id, ModelRecord().dump(record)))


def model_deleted(record) -> None:
    _announce(MODEL_DELETED, lambda: (record.owner_id, ModelRecord().dump(record)))


def feedback_given(feedback) -> None:
    def describe():
        data = FeedbackRecord().dump(feedback)
        data["model_id"] = feedback.prediction.model_id
        return feedback.prediction.owner_id, data

    _announce(FEEDBACK_GIVEN, describe)


@sa_event.listens_for(Session, "before_commit")
def _queue_announced(session: Session) -> None:
    announced = session.info.pop(ANNOUNCED, None)
    if announced:
        session.flush()  # ids and defaults of the rows the events describe
        for event, describe in announced:
            enqueue(session, event, *describe())


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_announced(session: Session, _previous_transaction) -> None:
    session.info.pop(ANNOUNCED, None)
