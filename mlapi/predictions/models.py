"""Prediction history. A record copies the model's name and version so it outlives it."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class Prediction(db.Model):
    __tablename__ = "predictions"
    __table_args__ = (
        # Serves "my history, newest first" (optionally for one model) from the index.
        Index("ix_predictions_owner_created", "owner_id", "created_at", "id"),
    )
    policy_kind = "prediction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(ForeignKey("ml_models.id"), index=True)
    model_name: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[int] = mapped_column(Integer)
    features: Mapped[list] = mapped_column(JSON)
    prediction: Mapped[object] = mapped_column(JSON)
    probabilities: Mapped[dict | None] = mapped_column(JSON)
    cached: Mapped[bool] = mapped_column(Boolean, default=False)
    latency_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
