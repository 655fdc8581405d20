"""Which due deliveries a sender takes, fair between hook owners, on every host at once
(docs/webhooks.md#concurrent-and-fair-between-users).

A delivery is *in flight* while it is claimed: pending, with a ``locked_until`` (the lease)
not yet past. At most ``PER_OWNER`` of one owner's deliveries are in flight at a time, counted
in the database, so the bound holds across threads, processes and hosts. A delivery waiting
out a retry's back-off has no lease (``delivery.py`` clears it after every attempt), so it
holds no slot; a sender that dies mid-send holds its slot until its lease runs out.

``claim_due`` takes what is due round-robin by owner: every owner's first free slot before
anyone's second, the longest-waiting first, so one owner's backlog cannot starve the others.
Two claimers must not both fill the same owner's last slot:

- PostgreSQL: the claimer locks the owners' ``users`` rows (``FOR NO KEY UPDATE SKIP
  LOCKED``: it never waits, and foreign-key checks are not blocked) and claims only for the
  owners it locked; another claimer skips those owners this round. Each row is claimed by a
  conditional ``UPDATE`` that recounts the owner's slots, under that lock.
- SQLite: one writer at a time; the first ``UPDATE`` takes the write lock until the commit,
  so the recount of every later ``UPDATE`` sees every other claim.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from ..auth.models import User
from ..extensions import db
from .models import PENDING, Webhook, WebhookDelivery

PER_OWNER = 2  # one owner's deliveries in flight at once, everywhere
BATCH = 100  # candidates read per look at the queue


def claim_lease() -> timedelta:
    """How long a claim holds: longer than any one send can take."""
    return timedelta(seconds=current_app.config["WEBHOOK_TIMEOUT_SECONDS"] * 2 + 30)


def due(now: datetime) -> tuple[ColumnElement, ...]:
    """The conditions of a delivery that may be claimed at ``now``."""
    return (
        WebhookDelivery.status == PENDING,
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now),
    )


def held(now: datetime) -> tuple[ColumnElement, ...]:
    """The conditions of a delivery in flight at ``now``: claimed, lease not run out."""
    return (WebhookDelivery.status == PENDING, WebhookDelivery.locked_until >= now)


def in_flight(now: datetime):
    """``(owner id, deliveries in flight)`` for every owner with any, at ``now``."""
    return (
        select(Webhook.owner_id, func.count().label("busy"))
        .join(WebhookDelivery, WebhookDelivery.webhook_id == Webhook.id)
        .where(*held(now))
        .group_by(Webhook.owner_id)
    )


def candidates(now: datetime) -> list[tuple[int, int]]:
    """``(delivery id, owner id)`` of due deliveries that fit their owner's free slots, in
    the order they should go: by the slot they would take (an idle owner's first before a
    busy owner's next), then the longest waiting first."""
    rank = func.row_number().over(
        partition_by=Webhook.owner_id,
        order_by=(WebhookDelivery.next_attempt_at, WebhookDelivery.id),
    )
    ranked = (
        select(
            WebhookDelivery.id,
            Webhook.owner_id,
            WebhookDelivery.next_attempt_at,
            rank.label("rank"),
        )
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(*due(now))
        .subquery()
    )
    busy = in_flight(now).subquery()
    slot = ranked.c.rank + func.coalesce(busy.c.busy, 0)
    rows = db.session.execute(
        select(ranked.c.id, ranked.c.owner_id)
        .outerjoin(busy, busy.c.owner_id == ranked.c.owner_id)
        .where(slot <= PER_OWNER)
        .order_by(slot, ranked.c.next_attempt_at, ranked.c.id)
        .limit(BATCH)
    ).all()
    return [(delivery_id, owner_id) for delivery_id, owner_id in rows]


def _lock_owners(owner_ids: list[int]) -> set[int]:
    """The owners this claimer may claim for until it commits (PostgreSQL: those no other
    claimer holds; SQLite has no row locks and serialises the claims themselves)."""
    if not owner_ids:
        return set()
    locked = db.session.execute(
        select(User.id)
        .where(User.id.in_(owner_ids))
        .order_by(User.id)
        .with_for_update(skip_locked=True, key_share=True)
    ).scalars()
    return set(locked)


def _claim_one(delivery_id: int, owner_id: int, now: datetime) -> bool:
    """Lease the row if it is still due and its owner still has a free slot."""
    owner_busy = (
        select(func.count())
        .select_from(WebhookDelivery)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(Webhook.owner_id == owner_id, *held(now))
        .scalar_subquery()
    )
    result = db.session.execute(
        update(WebhookDelivery)
        .where(and_(WebhookDelivery.id == delivery_id, *due(now)), owner_busy < PER_OWNER)
        .values(locked_until=now + claim_lease())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def claim_due(now: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` due deliveries for this sender, fairly (see the module's
    docstring); their ids, in the order to send them. Commits: the claims are seen at once
    by every other sender."""
    try:
        claimed: list[int] = []
        if limit > 0:
            wanted = candidates(now)
            owners = _lock_owners(list(dict.fromkeys(owner for _, owner in wanted[:limit])))
            for delivery_id, owner_id in wanted:
                if len(claimed) == limit:
                    break
                if owner_id in owners and _claim_one(delivery_id, owner_id, now):
                    claimed.append(delivery_id)
        db.session.commit()  # also ends the read: the next look sees what senders committed
    except Exception:  # the owners' locks go with the transaction
        db.session.rollback()
        raise
    return claimed
