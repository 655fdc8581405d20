"""Registered hooks, their queued deliveries and every attempt to send one."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..extensions import db
from ..timeutil import utcnow

EVENTS = ("model.created", "model.deleted", "prediction.feedback", "model.alias_moved")
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class Webhook(db.Model):
    """A URL an owner wants told about ``events``. The signing secret is kept encrypted
    (``mlapi.webhooks.crypto``): it is needed again to sign every delivery."""

    __tablename__ = "webhooks"
    policy_kind = "webhook"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list] = mapped_column(JSON)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    owner: Mapped[User] = relationship(User, lazy="joined")


class WebhookDelivery(db.Model):
    """One event for one hook: a row of the queue. ``body`` holds the exact bytes sent
    (and signed); ``locked_until`` is the claim a sender holds while it sends."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The due-queue query: pending rows by next attempt time.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebhookAttempt(db.Model):
    """One try at sending a delivery, as the deliveries log lists it."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    delivery: Mapped[WebhookDelivery] = relationship(lazy="joined")

    @property
    def event(self) -> str:
        return self.delivery.event
