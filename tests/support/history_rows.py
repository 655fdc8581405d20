"""Prediction history, feedback, audit records and revoked sign-ins of a given age, written
directly to the database: the retention tests control how old a row is, not the clock."""

from datetime import datetime

from sqlalchemy import func, select

from mlapi.audit.models import ACTOR_SYSTEM, AuditEvent
from mlapi.auth.models import RevokedLogin
from mlapi.extensions import db
from mlapi.predictions.models import Feedback, Prediction
from tests.unit.helpers import ROW


def add_predictions(
    app, owner_id: int, model_id: int, at: datetime, count: int = 1, *, feedback: bool = False
) -> list[int]:
    """``count`` predictions of the model made at ``at`` (latency 1 ms each), each with
    feedback (the actual value 100) when ``feedback``; their ids."""
    with app.app_context():
        rows = [
            Prediction(
                owner_id=owner_id,
                model_id=model_id,
                model_name="model",
                model_version=1,
                features=ROW,
                prediction=150.0,
                latency_ms=1.0,
                created_at=at,
            )
            for _ in range(count)
        ]
        db.session.add_all(rows)
        db.session.flush()
        if feedback:
            db.session.add_all(
                Feedback(prediction_id=row.id, actual_value=100.0, created_at=at, updated_at=at)
                for row in rows
            )
        db.session.commit()
        return [row.id for row in rows]


def add_audit_records(app, at: datetime, count: int = 1) -> list[int]:
    """``count`` audit records made at ``at``; their ids."""
    with app.app_context():
        records = [
            AuditEvent(at=at, actor_kind=ACTOR_SYSTEM, action="model.updated", target_type="model")
            for _ in range(count)
        ]
        db.session.add_all(records)
        db.session.commit()
        return [record.id for record in records]


def add_revoked_login(app, user_id: int, login_id: str, expires_at: datetime) -> None:
    with app.app_context():
        db.session.add(RevokedLogin(login_id=login_id, user_id=user_id, expires_at=expires_at))
        db.session.commit()


def rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def prediction_ids(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(Prediction.id)))
