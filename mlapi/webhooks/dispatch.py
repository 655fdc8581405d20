"""Sending claimed deliveries concurrently through a bounded pool
(docs/webhooks.md#concurrent-and-fair-between-users).

``Dispatcher.fill`` is one look at the queue: it claims (``claims.claim_due``: round-robin
by owner, at most two of one owner's in flight anywhere) as many due deliveries as the pool
has free threads, hands them to the pool and returns at once. The worker thread calls it
every poll and as soon as a send ends; ``deliver_due`` (``flask webhooks deliver``, the
tests) until nothing due at its ``now`` is left.
"""

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from flask import Flask, current_app

from ..extensions import db
from ..timeutil import utcnow
from .claims import claim_due
from .delivery import send

log = logging.getLogger("mlapi.webhooks")


class Dispatcher:
    """A pool of senders and what it has in flight.

    ``on_done`` (optional) is called after every send, from the sending thread."""

    def __init__(
        self, app: Flask, *, size: int | None = None, on_done: Callable[[], None] | None = None
    ):
        self.app, self.on_done = app, on_done
        self.size = size or app.config["WEBHOOK_CONCURRENCY"]
        self.pool = ThreadPoolExecutor(self.size, thread_name_prefix="mlapi-webhook-send")
        self.changed = threading.Condition()  # guards the two fields below
        self.in_flight: set[int] = set()
        self.outcomes: Counter = Counter()

    def fill(self, now: datetime) -> list[int]:
        """Claim what is due at ``now`` and fits the pool's free threads, and hand it to the
        pool; the claimed ids. Call inside an app context."""
        with self.changed:
            free = self.size - len(self.in_flight)
        if free <= 0:
            return []
        claimed = claim_due(now, free)
        for delivery_id in claimed:
            with self.changed:
                self.in_flight.add(delivery_id)
            self.pool.submit(self._send, delivery_id, now)
        return claimed

    def _send(self, delivery_id: int, now: datetime) -> None:
        outcome = None
        try:
            with self.app.app_context():
                try:
                    outcome = send(delivery_id, now)
                finally:
                    db.session.remove()
        except Exception:
            # Its claim stays until the lease runs out; then the row is due again.
            log.exception("webhook delivery %s: sending failed; it stays queued", delivery_id)
        finally:
            with self.changed:
                self.in_flight.discard(delivery_id)
                if outcome is not None:
                    self.outcomes[outcome] += 1
                self.changed.notify_all()
            if self.on_done is not None:
                self.on_done()

    def drain(self, now: datetime) -> None:
        """Send everything due at ``now``, including what becomes due while sending, and
        wait for the last send. Each delivery is tried at most once: after an attempt it is
        finished, waits for a later retry, or (a send that failed) keeps its claim."""
        while True:
            submitted = self.fill(now)
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
