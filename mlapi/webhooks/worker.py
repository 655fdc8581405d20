"""The per-process sender thread, started when ``WEBHOOK_WORKER`` is true (never in tests).

It starts with the first request a process serves, not in ``create_app``: under a
pre-forking server (gunicorn ``--preload``) a thread started before the fork would not
exist in the workers. Every second, and as soon as a send ends, it hands what is due to
its dispatcher (``dispatch.py``: a bounded pool, fair between owners) without waiting for
the sends; any error is logged and the loop goes on. Claims (``delivery.claim``) keep the
threads of many workers and hosts from sending one attempt twice.
"""

import logging
import os
import threading

from flask import Flask

from ..extensions import db
from ..timeutil import utcnow
from .dispatch import Dispatcher

log = logging.getLogger("mlapi.webhooks")

POLL_SECONDS = 1.0
EXTENSION_KEY = "mlapi.webhooks.worker"


class Worker:
    def __init__(self, app: Flask, interval: float = POLL_SECONDS):
        self.app, self.interval = app, interval
        self.stopping = threading.Event()
        self.wake = threading.Event()  # set when a send ends: its slot is free again
        self.dispatcher = Dispatcher(app, on_done=self.wake.set)
        self.thread = threading.Thread(target=self.run, name="mlapi-webhooks", daemon=True)
        self.pid = os.getpid()

    def run_once(self) -> None:
        with self.app.app_context():
            try:
                self.dispatcher.fill(utcnow())
            except Exception:
                log.exception("webhook worker: sending failed; trying again shortly")
            finally:
                db.session.remove()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.clear()
            self.run_once()
            self.wake.wait(self.interval)

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


def init_worker(app: Flask) -> None:
    if not app.config["WEBHOOK_WORKER"]:
        return

    @app.before_request
    def _start_webhook_worker():
        if app.extensions.get(EXTENSION_KEY) is None or \
                app.extensions[EXTENSION_KEY].pid != os.getpid():
            ensure_worker(app)
