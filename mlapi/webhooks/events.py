"""Queue the deliveries an event causes, in the transaction of the change that caused it.

The domains do not know about webhooks: they send a signal (``mlapi.registry.signals``,
``mlapi.predictions.signals``) inside the change's transaction, after a flush and before
the commit, with the owner and the event's data; ``init_webhooks`` subscribes to them. The
receivers only add delivery rows to the session, so the change and its deliveries are
committed together or not at all: a crash loses none, and a change that is rolled back (or
whose commit fails) announces nothing.

Who hears it (``recipients``): for a user's resource, the hooks of that user; for a team's
model (``team_id`` set), the hooks of the team's maintainers, while the team is not deleted.
Only hooks that asked for the event, and only while their owner's account is active.
"""

import json
import uuid
from datetime import UTC

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..extensions import db
from ..predictions.signals import feedback_given
from ..registry.signals import model_alias_moved, model_created, model_deleted
from ..teams.models import ROLE_MAINTAINER, Team, TeamMember
from ..timeutil import utcnow
from .models import PENDING, Webhook, WebhookDelivery

MODEL_CREATED, MODEL_DELETED, MODEL_ALIAS_MOVED, FEEDBACK_GIVEN = (
    "model.created",
    "model.deleted",
    "model.alias_moved",
    "prediction.feedback",
)


def recipients(owner_id: int, team_id: int | None = None):
    """The hooks told about a resource of ``owner_id``'s, or of team ``team_id``'s when set
    (then the owner, the uploader, hears it only as one of the team's maintainers)."""
    stmt = (
        select(Webhook)
        .join(User, Webhook.owner_id == User.id)
        .where(User.is_active.is_(True))
        .order_by(Webhook.id)
    )
    if team_id is None:
        return stmt.where(Webhook.owner_id == owner_id)
    return (
        stmt.join(TeamMember, TeamMember.user_id == User.id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(
            TeamMember.team_id == team_id,
            TeamMember.role == ROLE_MAINTAINER,
            Team.deleted_at.is_(None),
        )
    )


def enqueue(
    session: Session, event: str, owner_id: int, data: dict, team_id: int | None = None
) -> list[WebhookDelivery]:
    """Add a delivery of ``event`` to each hook of ``recipients`` that listens for it."""
    hooks = session.execute(recipients(owner_id, team_id)).scalars()
    listening = [hook for hook in hooks if event in hook.events]
    if not listening:
        return []
    now = utcnow()
    envelope = {
        "id": f"evt_{uuid.uuid4().hex}",
        "event": event,
        "created_at": now.replace(tzinfo=UTC).isoformat(),
        "data": data,
    }
    body = json.dumps(envelope, separators=(",", ":"), allow_nan=False)  # strict JSON
    deliveries = [
        WebhookDelivery(
            webhook_id=hook.id,
            event=event,
            body=body,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for hook in listening
    ]
    session.add_all(deliveries)
    return deliveries


def _on_model_created(_app: Flask, *, owner_id: int, team_id: int | None, data: dict) -> None:
    enqueue(db.session(), MODEL_CREATED, owner_id, data, team_id)


def _on_model_deleted(_app: Flask, *, owner_id: int, team_id: int | None, data: dict) -> None:
    enqueue(db.session(), MODEL_DELETED, owner_id, data, team_id)


def _on_model_alias_moved(_app: Flask, *, owner_id: int, team_id: int | None, data: dict) -> None:
    enqueue(db.session(), MODEL_ALIAS_MOVED, owner_id, data, team_id)


def _on_feedback_given(_app: Flask, *, owner_id: int, data: dict) -> None:
    enqueue(db.session(), FEEDBACK_GIVEN, owner_id, data)


def init_webhooks(app: Flask) -> None:
    """Listen to the domains' events sent by ``app``."""
    model_created.connect(_on_model_created, sender=app)
    model_deleted.connect(_on_model_deleted, sender=app)
    model_alias_moved.connect(_on_model_alias_moved, sender=app)
    feedback_given.connect(_on_feedback_given, sender=app)
