"""Prediction history and feedback. A record copies the model's name and version so it
outlives the model."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class Prediction(db.Model):
    __tablename__ = "predictions"
    __table_args__ = (
        # Serves "my history, newest first" (optionally for one model) from the index.
        Index("ix_predictions_owner_created", "owner_id", "created_at", "id"),
        # Serves the retention purge: the oldest rows of everyone, without a table scan.
        Index("ix_predictions_created_at", "created_at"),
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

    feedback: Mapped["Feedback | None"] = relationship(back_populates="prediction", uselist=False)


class Feedback(db.Model):
    """What really happened, to measure a model by. One per prediction: a second replaces it."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prediction_id: Mapped[int] = mapped_column(
        ForeignKey("predictions.id", ondelete="CASCADE"), unique=True
    )
    actual_value: Mapped[object] = mapped_column(JSON)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    prediction: Mapped[Prediction] = relationship(back_populates="feedback")
