"""Deleting what has outlived its use (docs/production.md#retention): prediction history
older than ``MLAPI_HISTORY_RETENTION_DAYS`` with its feedback, audit records older than
``MLAPI_AUDIT_RETENTION_DAYS``, and revoked sign-ins whose tokens have expired anyway.

"Older than" is strict: a row stamped exactly at the cut-off stays (it is not older).

Each table goes in batches of ``batch_size`` rows, oldest first, one transaction each:
select the ids by the age index, delete them, commit. A batch holds its row locks for the
time of one DELETE of a few thousand rows, so writers of new rows never wait on it.

Every host may run the purge from cron at the same moment. On PostgreSQL a batch selects
its ids ``FOR UPDATE SKIP LOCKED``: two purges take different rows, neither waits for the
other and no row is deleted twice, so together they print exactly what there was to delete.
No advisory lock: a session lock would outlive its transaction on the connection and does
not hold behind a transaction-pooling PgBouncer, where row locks still do. SQLite has one
host and one writer: the clause is left out there.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from ..audit.models import AuditEvent
from ..auth.models import RevokedLogin
from ..extensions import db
from ..predictions.models import Feedback, Prediction
from ..timeutil import utcnow

BATCH_SIZE = 5000


@dataclass
class Outcome:
    """What the purge did (or, in a dry run, would do) to one table. ``cutoff`` None: the
    table is kept for ever."""

    deleted: int = 0
    with_feedback: int = 0
    batches: int = 0
    cutoff: datetime | None = None


@dataclass
class Report:
    history: Outcome
    audit: Outcome
    revoked_logins: Outcome


def cutoff(days: int, now: datetime) -> datetime | None:
    """The moment before which rows go; None when ``days`` is 0 (keep for ever)."""
    return now - timedelta(days=days) if days else None


def purge(
    history_days: int,
    audit_days: int,
    *,
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
) -> Report:
    now = utcnow()
    return Report(
        history=_history(cutoff(history_days, now), batch_size, dry_run),
        audit=_purge(AuditEvent.id, AuditEvent.at, cutoff(audit_days, now), batch_size, dry_run),
        revoked_logins=_purge(
            RevokedLogin.login_id, RevokedLogin.expires_at, now, batch_size, dry_run
        ),
    )


def _history(before: datetime | None, batch_size: int, dry_run: bool) -> Outcome:
    """Predictions older than ``before``; each batch deletes the feedback on them first,
    explicitly: SQLite enforces the foreign key's cascade only when told to."""
    if before is None or dry_run:
        outcome = _purge(Prediction.id, Prediction.created_at, before, batch_size, dry_run)
        if before is not None:
            outcome.with_feedback = db.session.scalar(
                select(func.count(Feedback.id))
                .join(Prediction, Prediction.id == Feedback.prediction_id)
                .where(Prediction.created_at < before)
            )
        return outcome

    def drop_feedback(ids: list[int]) -> int:
        return _delete(Feedback, Feedback.prediction_id.in_(ids))

    return _purge(Prediction.id, Prediction.created_at, before, batch_size, dry_run, drop_feedback)


def _purge(key, age, before, batch_size, dry_run, before_delete=None) -> Outcome:
    """Delete (or count, in a dry run) the rows whose ``age`` is before ``before``, oldest
    first, ``batch_size`` per transaction. ``before_delete(keys)`` deletes what depends on
    a batch, in its transaction, and returns how many rows that was."""
    outcome = Outcome(cutoff=before)
    if before is None:
        return outcome
    if dry_run:
        outcome.deleted = db.session.scalar(select(func.count(key)).where(age < before))
        outcome.batches = math.ceil(outcome.deleted / batch_size)
        return outcome
    batch = (
        select(key)
        .where(age < before)
        .order_by(age)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )
    while keys := db.session.scalars(batch).all():
        if before_delete is not None:
            outcome.with_feedback += before_delete(keys)
        outcome.deleted += _delete(key.class_, key.in_(keys))
        db.session.commit()
        outcome.batches += 1
    db.session.commit()  # the last, empty selection's transaction
    return outcome


def _delete(model, condition) -> int:
    statement = delete(model).where(condition).execution_options(synchronize_session=False)
    return db.session.execute(statement).rowcount
