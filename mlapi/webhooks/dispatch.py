"""Which due deliveries go out, and sending them concurrently, fair between hook owners
(docs/webhooks.md#concurrent-and-fair-between-users).

``Dispatcher.fill`` is one look at the queue: it hands whatever is due and fits to the pool
and returns at once. The worker thread calls it every poll and as soon as a send ends;
``deliver_due`` (``flask webhooks deliver``, the tests) until nothing due at its ``now`` is left.
"""

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import func, select

from ..extensions import db
from ..timeutil import utcnow
from .delivery import due, send
from .models import Webhook, WebhookDelivery

log = logging.getLogger("mlapi.webhooks")

PER_OWNER = 2  # one owner's deliveries in flight at once, per process
BATCH = 100  # candidates read per look at the queue


def due_round_robin(now: datetime) -> list[tuple[int, int]]:
    """``(delivery id, owner id)`` of due deliveries: each owner's oldest first, then each
    owner's second oldest, and so on up to ``PER_OWNER`` each, so one owner's backlog
    cannot fill a batch."""
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
    rows = db.session.execute(
        select(ranked.c.id, ranked.c.owner_id)
        .where(ranked.c.rank <= PER_OWNER)
        .order_by(ranked.c.rank, ranked.c.next_attempt_at, ranked.c.id)
        .limit(BATCH)
    ).all()
    db.session.commit()  # ends the read: the next look sees what the senders have committed
    return [(delivery_id, owner_id) for delivery_id, owner_id in rows]


class Dispatcher:
    """A pool of senders and what it has in flight: deliveries, and their count per owner.

    ``on_done`` (optional) is called after every send, from the sending thread."""

    def __init__(
        self, app: Flask, *, size: int | None = None, on_done: Callable[[], None] | None = None
    ):
        self.app, self.on_done = app, on_done
        self.size = size or app.config["WEBHOOK_CONCURRENCY"]
        self.pool = ThreadPoolExecutor(self.size, thread_name_prefix="mlapi-webhook-send")
        self.changed = threading.Condition()  # guards the three fields below
        self.in_flight: set[int] = set()
        self.per_owner: Counter = Counter()
        self.outcomes: Counter = Counter()

    def fill(self, now: datetime, skip: set[int] | frozenset = frozenset()) -> list[int]:
        """Hand the pool what is due at ``now`` while it has free slots, except the
        deliveries in ``skip``; their ids. Call inside an app context."""
        with self.changed:
            if len(self.in_flight) >= self.size:
                return []
        submitted = []
        for delivery_id, owner_id in due_round_robin(now):
            with self.changed:
                if len(self.in_flight) >= self.size:
                    break
                if (
                    delivery_id in self.in_flight
                    or delivery_id in skip
                    or self.per_owner[owner_id] >= PER_OWNER
                ):
                    continue
                self.in_flight.add(delivery_id)
                self.per_owner[owner_id] += 1
            self.pool.submit(self._send, delivery_id, owner_id, now)
            submitted.append(delivery_id)
        return submitted

    def _send(self, delivery_id: int, owner_id: int, now: datetime) -> None:
        outcome = None
        try:
            with self.app.app_context():
                try:
                    outcome = send(delivery_id, now)
                finally:
                    db.session.remove()
        except Exception:
            log.exception("webhook delivery %s: sending failed; it stays queued", delivery_id)
        finally:
            with self.changed:
                self.in_flight.discard(delivery_id)
                self.per_owner[owner_id] -= 1
                if not self.per_owner[owner_id]:
                    del self.per_owner[owner_id]
                if outcome is not None:
                    self.outcomes[outcome] += 1
                self.changed.notify_all()
            if self.on_done is not None:
                self.on_done()

    def drain(self, now: datetime) -> None:
        """Send everything due at ``now``, including what becomes due while sending, and
        wait for the last send. Each delivery is tried at most once (a retry is due later)."""
        tried: set[int] = set()
        while True:
            submitted = self.fill(now, skip=tried)
            tried.update(submitted)
            with self.changed:
                if not submitted and not self.in_flight:
                    return
                if self.in_flight:
                    self.changed.wait()  # until a send ends and frees a slot

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is in flight (each send ends within its timeout)."""
        with self.changed:
            return self.changed.wait_for(lambda: not self.in_flight, timeout)

    def close(self) -> None:
        """Stop taking work; sends in flight finish on their own."""
        self.pool.shutdown(wait=False, cancel_futures=True)


def deliver_due(now: datetime | None = None) -> Counter:
    """Send every delivery due at ``now`` (default: the clock), concurrently; count the
    outcomes. Returns when every send has ended."""
    dispatcher = Dispatcher(current_app._get_current_object())
    try:
        dispatcher.drain(now or utcnow())
    finally:
        dispatcher.close()
    return dispatcher.outcomes
