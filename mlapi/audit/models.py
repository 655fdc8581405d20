"""Audit records: append-only, one per change of who may do what or which model answers."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow

ACTOR_USER, ACTOR_CLI, ACTOR_SYSTEM = "user", "cli", "system"
TARGET_TYPES = (
    "user",
    "model",  # id of the version
    "model_name",  # id of the name's version-1 record
    "alias",  # id of the version it names; the alias in details.alias
    "team",
    "api_key",
    "webhook",
    "session",  # id of the user whose sign-ins it is
)


class AuditEvent(db.Model):
    """No foreign keys: a record outlives the user, key, model or team it names."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_target", "target_type", "target_id"),
        Index("ix_audit_events_actor_at", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(8))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_username: Mapped[str | None] = mapped_column(String(32))
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(128))

    @property
    def actor(self) -> dict:
        return {
            "kind": self.actor_kind,
            "id": self.actor_id,
            "username": self.actor_username,
            "api_key_id": self.api_key_id,
        }

    @property
    def target(self) -> dict:
        return {"type": self.target_type, "id": self.target_id}
