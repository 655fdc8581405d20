"""The per-process listener that keeps the access cache (mlapi/access_cache.py) without a
round trip per request, on PostgreSQL (docs/decisions.md#identity-without-a-round-trip).

One daemon thread per worker process holds an autocommit psycopg connection of its own,
``LISTEN``s on the counter's channel, and drops the cache when a notification carries a
value it has not seen. Connected-ness is a fresh heartbeat: the thread probes its connection
(``SELECT 1``) at least every ``PROBE_SECONDS``, waiting for notifications in between, and
stamps the monotonic time the probe was sent once it answered and the notifications received
with it were applied. The request path trusts the cache only while that stamp is younger
than ``FRESH_SECONDS``: a database restart, a network cut or a half-open connection (a probe
that never answers) all fall back to reading the counter per request, and on (re)connect the
thread LISTENs first, then reads the counter and drops everything, so a notification lost
meanwhile cannot let a revoked credential through.

It starts with the first request, not in ``create_app``: under a pre-forking server a thread
started before the fork would not exist in the workers (the same rule as the webhook sender).
"""

import logging
import os
import select
import threading
import time
from collections.abc import Callable

import psycopg
from flask import Flask
from sqlalchemy.engine import make_url

from .access_cache import CHANNEL, COUNTER, AccessCache
from .process_threads import first_request_starter

log = logging.getLogger("mlapi.access")

PROBE_SECONDS = 0.05
FRESH_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 2.0
EXTENSION_KEY = "mlapi.access_listener"
# libpq's own guards, so a probe on a dead link fails within seconds instead of never:
# the request path has long stopped trusting the listener by then (FRESH_SECONDS).
CONNECT_OPTIONS = {
    "autocommit": True,
    "connect_timeout": 2,
    "keepalives": 1,
    "keepalives_idle": 1,
    "keepalives_interval": 1,
    "keepalives_count": 2,
    "tcp_user_timeout": 2000,
    "application_name": "mlapi-access-listener",
}


def conninfo(database_uri: str) -> str:
    """The app's SQLAlchemy URL as a libpq one (``postgresql+psycopg://`` → ``postgresql://``)."""
    url = make_url(database_uri).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def readable(connection: psycopg.Connection, timeout: float) -> bool:
    """Whether the server sent something within ``timeout`` seconds. Measured: a 50 ms
    ``poll`` costs 0.17 ms of CPU, psycopg's ``notifies(timeout=0.05)`` 0.95 ms (20 times
    a second in every worker)."""
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    return bool(poller.poll(timeout * 1000))


class Listener:
    """``connect()`` opens the connection; ``clock``, ``wait(seconds)`` and
    ``readable(connection, seconds)`` are injected by tests. ``connected()`` is what the
    request path asks."""

    def __init__(
        self,
        cache: AccessCache,
        connect: Callable[[], psycopg.Connection],
        *,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], object] | None = None,
        readable: Callable[[psycopg.Connection, float], bool] = readable,
    ):
        self.cache, self.connect, self.clock, self.readable = cache, connect, clock, readable
        self.stopping = threading.Event()
        self.wait = wait or self.stopping.wait
        self.heartbeat: float | None = None  # when the last good probe was sent
        self.connection: psycopg.Connection | None = None
        self.failures = 0
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self.run, name="mlapi-access-listener", daemon=True)

    def connected(self) -> bool:
        heartbeat = self.heartbeat
        return heartbeat is not None and self.clock() - heartbeat < FRESH_SECONDS

    def open(self) -> None:
        """LISTEN, then read the counter and drop everything: a change committed before the
        LISTEN is in the value read, one after it arrives as a notification."""
        started = self.clock()
        connection = self.connect()
        try:
            connection.execute(f"LISTEN {CHANNEL}")
            self.cache.reset(self.read_counter(connection))
        except BaseException:
            connection.close()
            raise
        self.connection = connection
        self.heartbeat = started

    @staticmethod
    def read_counter(connection: psycopg.Connection) -> int | None:
        row = connection.execute(
            "SELECT value FROM change_counters WHERE name = %s", (COUNTER,)
        ).fetchone()
        return row[0] if row else None

    def beat(self) -> None:
        """One probe, the notifications that came with it, then a wait for more (at most
        ``PROBE_SECONDS``), applied when they arrive."""
        started = self.clock()
        self.connection.execute("SELECT 1")
        self.apply(self.connection.notifies(timeout=0))
        self.heartbeat = started
        if self.readable(self.connection, PROBE_SECONDS):
            self.apply(self.connection.notifies(timeout=0))

    def apply(self, notifications) -> None:
        for notification in notifications:
            try:
                value = int(notification.payload)
            except ValueError:  # not one of ours: drop everything anyway, a drop is safe
                self.cache.reset(self.read_counter(self.connection))
                continue
            self.cache.changed(value)

    def run_once(self) -> bool:
        """Connect if needed and beat once; False (and not connected) when that failed."""
        try:
            if self.connection is None:
                self.open()
                if self.failures:
                    log.info("access listener: connected again; the cache was emptied")
            self.beat()
        except psycopg.Error as exc:
            self.lost(exc)
            return False
        self.failures = 0
        return True

    def lost(self, error: Exception) -> None:
        self.heartbeat = None
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if not self.failures:
            log.warning(
                "access listener: %s; every request reads the access counter until it reconnects",
                type(error).__name__,
            )
        self.failures += 1

    def next_wait(self) -> float:
        return min(MAX_BACKOFF_SECONDS, PROBE_SECONDS * 2**self.failures)

    def run(self) -> None:
        while not self.stopping.is_set():
            if not self.run_once():
                self.wait(self.next_wait())
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        self.heartbeat = None

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the current beat (at most ``PROBE_SECONDS`` on a live connection)."""
        self.stopping.set()
        self.thread.join(timeout)


_start_lock = threading.Lock()


def listener_for(app: Flask, **options) -> Listener:
    """A listener of ``app``'s cache on ``app``'s database (not started, not consulted)."""
    target = conninfo(app.config["SQLALCHEMY_DATABASE_URI"])
    return Listener(
        app.extensions["mlapi.access_cache"],
        lambda: psycopg.connect(target, **CONNECT_OPTIONS),
        **options,
    )


def ensure_listener(app: Flask) -> Listener:
    """This process's listener for ``app``, started on first call (and again after a fork);
    the cache consults it from then on."""
    with _start_lock:
        listener = app.extensions.get(EXTENSION_KEY)
        if listener is None or listener.pid != os.getpid():
            listener = listener_for(app)
            app.extensions[EXTENSION_KEY] = listener
            listener.cache.listener = listener
            listener.thread.start()
        return listener


def stop_listener(app: Flask, timeout: float | None = None) -> None:
    """Stop this process's listener if it runs (gunicorn.conf.py, ``worker_exit``): its
    connection is closed, not dropped with the process."""
    listener = app.extensions.get(EXTENSION_KEY)
    if listener is not None and listener.pid == os.getpid():
        listener.stop(timeout)


def start_hook(app: Flask) -> Callable[[], None] | None:
    """The request hook (a step of ``mlapi.pipeline``) that starts this process's listener
    with its first request, and again after a fork; None unless the app is on PostgreSQL
    with ``ACCESS_LISTENER`` (off in the testing profile; tests that want one call
    ``ensure_listener``)."""
    backend = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if backend != "postgresql" or not app.config["ACCESS_LISTENER"]:
        return None

    return first_request_starter(app, EXTENSION_KEY, ensure_listener)
