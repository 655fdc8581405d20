"""The per-process sender thread, started when ``WEBHOOK_WORKER`` is true (never in tests)
(docs/webhooks.md#concurrent-and-fair-between-users: who sends).

It starts with the first request, not in ``create_app``: under a pre-forking server a thread
started before the fork would not exist in the workers. When the queue cannot be read it
backs off and says why once, again when the cause changes, and once more when it recovers.
"""

import logging
import os
import threading
from collections.abc import Callable

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..ops.readiness import problem_of
from ..process_threads import first_request_starter
from ..timeutil import utcnow
from .dispatch import Dispatcher

log = logging.getLogger("mlapi.webhooks")

POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
EXTENSION_KEY = "mlapi.webhooks.worker"


class Worker:
    """``wait(seconds)`` is how the loop pauses between looks (tests pass their own)."""

    def __init__(
        self,
        app: Flask,
        interval: float = POLL_SECONDS,
        wait: Callable[[float], object] | None = None,
    ):
        self.app, self.interval = app, interval
        self.stopping = threading.Event()
        self.wake = threading.Event()  # set when a send ends: its slot is free again
        self.wait = wait or self.wake.wait
        self.dispatcher = Dispatcher(app, on_done=self.wake.set)
        self.thread = threading.Thread(target=self.run, name="mlapi-webhooks", daemon=True)
        self.pid = os.getpid()
        self.failures = 0  # looks in a row that failed
        self.problem: str | None = None  # why they failed, as last logged

    def run_once(self) -> bool:
        """One look at the queue; False when it could not be read."""
        with self.app.app_context():
            try:
                self.dispatcher.fill(utcnow())
            except SQLAlchemyError as exc:
                self._failed(problem_of(exc))
                return False
            except Exception as exc:
                self._failed(f"sending failed ({type(exc).__name__})", error=exc)
                return False
            finally:
                db.session.remove()
        if self.problem is not None:
            log.info("webhook worker: the queue can be read again; sending resumes")
        self.failures, self.problem = 0, None
        return True

    def _failed(self, problem: str, error: Exception | None = None) -> None:
        self.failures += 1
        if problem != self.problem:
            log.error(
                "webhook worker: %s; trying again in %g s, then less and less often "
                "(at most every %g s) until it works",
                problem,
                self.next_wait(),
                MAX_BACKOFF_SECONDS,
                exc_info=error,
            )
            self.problem = problem

    def next_wait(self) -> float:
        """The poll interval; after failures, doubling with each, up to the cap."""
        if not self.failures:
            return self.interval
        return min(MAX_BACKOFF_SECONDS, self.interval * 2 ** (self.failures - 1))

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.clear()
            self.run_once()
            self.wait(self.next_wait())

    def stop(self, timeout: float | None = None) -> None:
        """Stop looking at the queue and wait (up to ``timeout`` for each) for the loop and
        for the sends in flight, which end within their own timeout."""
        self.stopping.set()
        self.wake.set()
        self.thread.join(timeout)
        self.dispatcher.wait_idle(timeout)
        self.dispatcher.close()


_start_lock = threading.Lock()


def ensure_worker(app: Flask) -> Worker:
    """This process's worker for ``app``, started on first call (and again after a fork)."""
    with _start_lock:
        worker = app.extensions.get(EXTENSION_KEY)
        if worker is None or worker.pid != os.getpid():
            worker = Worker(app)
            app.extensions[EXTENSION_KEY] = worker
            worker.thread.start()
        return worker


def start_hook(app: Flask) -> Callable[[], None] | None:
    """The request hook that starts this process's worker with its first request (and
    again after a fork), for ``mlapi.pipeline``; None when ``WEBHOOK_WORKER`` is off."""
    if not app.config["WEBHOOK_WORKER"]:
        return None

    return first_request_starter(app, EXTENSION_KEY, ensure_worker)
