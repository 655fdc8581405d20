"""Logs: one line per request on ``mlapi.access``, JSON or text, and never a secret
(docs/observability.md#logs).

The ``mlapi`` logger's handler formats and writes off the thread that logs: a request
thread builds the record and puts it on a queue (stdlib ``QueueHandler``), and a thread of
the process (``QueueListener``) formats and writes it to stderr. An access line that this
handler alone would write (``_sole_handler``) is queued as a bare tuple of its fields, with
no ``LogRecord`` built nor copied, and the listener turns it into the very bytes the record
would have given (mlapi/ops/log_format.py, ``access_line``).
"""

import logging
import os
import queue
import sys
import threading
import time
import weakref
from logging.handlers import QueueHandler, QueueListener

from flask import Flask, g, request
from sqlalchemy import inspect as sa_inspect

from .log_format import (
    ACCESS,
    ACCESS_FIELDS,
    ACCESS_FORMATTERS,
    ACCESS_MESSAGE,
    JsonFormatter,
    TextFormatter,
    access_args,
    formatter_for,
)
from .seen import Seen

__all__ = [
    "JsonFormatter",
    "TextFormatter",
    "configure_logging",
    "flush_logs",
    "formatter_for",
    "log_request",
]
LOGGER = "mlapi"
# How often the listener looks at its queue: how late a line may reach stderr.
DRAIN_SECONDS = 0.05
access_log = logging.getLogger(ACCESS)
werkzeug_log = logging.getLogger("werkzeug")


def _access_record(item: tuple) -> logging.LogRecord:
    """The access line's record (``created``, then ``ACCESS_FIELDS``, as queued), for every
    handler, filter and formatter but the one ``_sole_handler`` looks for."""
    created, *fields = item
    record = access_log.makeRecord(
        access_log.name,
        logging.INFO,
        "",
        0,
        ACCESS_MESSAGE,
        access_args(fields),
        None,
        extra=dict(zip(ACCESS_FIELDS, fields, strict=True)),
    )
    record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
    return record


class _StderrWriter(logging.StreamHandler):
    """Formats with its owner's formatter and writes to whatever ``sys.stderr`` is at the
    time (pytest swaps it per test); runs on the owner's listener thread."""

    def __init__(self, owner: "_StderrHandler"):
        logging.Handler.__init__(self)
        self.owner = owner
        self.pending: list[str] = []  # access lines formatted, not yet written
        self.pending_items: list[tuple] = []

    @property
    def stream(self):
        return sys.stderr

    def format(self, record: logging.LogRecord) -> str:
        return self.owner.format(record)

    def handle(self, record) -> bool:
        """A record; an access line's tuple: its line from the formatter's
        ``access_line``, kept for the next ``write_pending`` (if that fails, the format
        changed meanwhile or a field's ``str`` raised, its record takes the usual way,
        which writes it or reports the error); or ``flush``'s event, set once all queued
        before it is written. Records and events write the lines kept before them first."""
        if type(record) is not tuple:
            self.write_pending()
            if type(record) is threading.Event:
                record.set()
                return True
            return super().handle(record)
        try:
            self.pending.append(self.owner.formatter.access_line(record))
        except Exception:
            self.write_pending()
            return super().handle(_access_record(record))
        self.pending_items.append(record)
        return True

    def write_pending(self) -> None:
        """The access lines kept so far, in one write."""
        if not self.pending:
            return
        lines, items = self.pending, self.pending_items
        self.pending, self.pending_items = [], []
        try:
            with self.lock:
                stream = sys.stderr
                stream.write(self.terminator.join(lines) + self.terminator)
                stream.flush()
        except Exception:
            self.handleError(_access_record(items[0]))


class _DrainingListener(QueueListener):
    """A ``QueueListener`` that looks at its queue every ``DRAIN_SECONDS`` instead of
    waking for each record, and writes the access lines it found there in one write.

    A request thread's put then never wakes a thread (``SimpleQueue.put`` with no getter
    waiting is an append in C): woken per record, the listener took the GIL from the
    request thread once a request, in the middle of sending its answer, each hand-over a
    ``futex`` call and a context switch (docs/performance.md, bench/syscalls.py). ``flush``
    and ``stop`` wake it at once.
    """

    def __init__(self, records: queue.SimpleQueue, writer: _StderrWriter):
        super().__init__(records, writer)
        self.writer = writer
        self.wake = threading.Event()

    def dequeue(self, block: bool):
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                self.writer.write_pending()
                if not block:
                    raise
                self.wake.wait(DRAIN_SECONDS)
                self.wake.clear()  # whatever was put before a set() is in the queue now
                continue
            if item is self._sentinel:
                self.writer.write_pending()
            return item

    def enqueue_sentinel(self) -> None:
        super().enqueue_sentinel()
        self.wake.set()


class _StderrHandler(QueueHandler):
    """Queues each record for a listener thread that formats and writes it to stderr.

    One listener per process, started with the handler and again in a forked child (a
    gunicorn worker: threads do not survive ``fork``, and records queued in the parent are
    the parent's to write). The queue is a ``SimpleQueue`` (a C put, where ``Queue.put``
    runs a ``Condition`` in Python on the request thread), so ``flush()`` queues an event
    and waits for the listener to reach it: it returns once every record queued before it
    is written (tests; ``logging.shutdown``); ``close()`` (``logging.shutdown``, at exit)
    writes what is queued and stops the thread, after which records are written at once,
    on the thread that logs: no line is lost on shutdown.
    """

    def __init__(self):
        super().__init__(queue.SimpleQueue())
        self.writer = _StderrWriter(self)
        self.listener: QueueListener | None = None
        self.after_fork()
        _handlers.add(self)

    def after_fork(self) -> None:
        """A new queue and listener thread (and so, in a forked child, the child's own: the
        parent's thread does not exist there, and what the parent queued is its own)."""
        self.queue = queue.SimpleQueue()
        self.listener = _DrainingListener(self.queue, self.writer)
        self.listener.start()

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        """A copy, left unformatted: formatting is the listener's work. The copy keeps the
        listener's formatter and any handler of the logging thread (pytest's ``caplog``)
        from changing one record at the same time; a record's state is its ``__dict__``
        (cheaper copied by hand than through ``copy.copy``'s pickling protocol)."""
        duplicate = logging.LogRecord.__new__(type(record))
        duplicate.__dict__.update(record.__dict__)
        return duplicate

    def emit(self, record: logging.LogRecord) -> None:
        if self.listener is None:
            self.writer.handle(record)
        else:
            super().emit(record)

    def put_access(self, item: tuple) -> None:
        """An access line's tuple, which nothing else sees: queued as it is (nothing to
        copy), or written at once after ``close``."""
        if self.listener is None:
            self.writer.handle(item)
            self.writer.write_pending()
        else:
            self.queue.put_nowait(item)

    def flush(self) -> None:
        if self.listener is not None:
            written = threading.Event()
            self.queue.put_nowait(written)
            self.listener.wake.set()
            written.wait()

    def close(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.stop()
        self.writer.write_pending()
        super().close()


_handlers: "weakref.WeakSet[_StderrHandler]" = weakref.WeakSet()


def _restart_after_fork() -> None:
    for handler in list(_handlers):
        if handler.listener is not None:
            handler.after_fork()


os.register_at_fork(after_in_child=_restart_after_fork)


def flush_logs() -> None:
    """Wait until every record logged so far is written (a deterministic point for a
    reader of stderr: tests)."""
    for handler in list(_handlers):
        handler.flush()


class DevServerRequestLines(logging.Filter):
    """Drops the development server's line per request (``127.0.0.1 - - [date] "GET /docs
    HTTP/1.1" 200 -``, werkzeug's ``log_request``) while ``mlapi.access`` writes its own,
    which says more and never holds the query string. werkzeug's startup banner and its
    errors pass; with ``LOG_LEVEL`` above INFO (no access lines) its request lines pass too."""

    REQUEST_LINE = '"%s" %s %s'

    def filter(self, record: logging.LogRecord) -> bool:
        request_line = (
            record.levelno == logging.INFO
            and isinstance(record.msg, str)
            and record.msg.endswith(self.REQUEST_LINE)
        )
        return not (request_line and access_log.isEnabledFor(logging.INFO))


def configure_logging(app: Flask) -> logging.Handler:
    """The ``mlapi`` logger's level and format from ``LOG_LEVEL`` and ``LOG_FORMAT``."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(app.config["LOG_LEVEL"])
    handler = next((h for h in logger.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        logger.addHandler(handler)
    handler.setFormatter(formatter_for(app.config["LOG_FORMAT"]))
    if not any(isinstance(f, DevServerRequestLines) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(DevServerRequestLines())
    return handler


def _caller_id(caller) -> int | None:
    """The authenticated user's id, read without a database round trip: the session may
    have committed since (an expired instance would reload itself to answer ``.id``)."""
    if caller is None:
        return None
    state = sa_inspect(caller, raiseerr=False)
    if state is not None and state.identity:
        return state.identity[0]
    return getattr(caller, "id", None)


def _sole_handler() -> _StderrHandler | None:
    """Our handler, when it alone would see an access record (what ``Logger.handle`` and
    ``callHandlers`` would do with one: no filter nor other handler on the way up, its level
    lets INFO through) and formats it with one of our formatters: then no record is needed."""
    if access_log.filters or access_log.disabled:
        return None
    found, logger = None, access_log
    while logger is not None:
        for handler in logger.handlers:
            if (
                found is not None
                or type(handler) is not _StderrHandler
                or handler.filters
                or handler.level > logging.INFO
                or type(handler.formatter) not in ACCESS_FORMATTERS
            ):
                return None
            found = handler
        logger = logger.parent if logger.propagate else None
    return found


def log_request(seen: Seen) -> None:
    """The access-log step of the pipeline, last: the line with the final status and
    headers. Only its fields are read here; the handler's thread formats and writes it.
    Whether it is written at all is the logger's level, handlers and propagation, as for any
    record; only when nothing but our handler would see it is the record left unbuilt."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    request_globals = g._get_current_object()  # one proxy lookup, not one per field
    item = (
        time.time(),
        request_globals.get("request_id"),  # what ``finish`` put in X-Request-ID
        _caller_id(request_globals.get("caller")),
        request_globals.get("api_key_id"),
        seen.method,
        seen.endpoint,
        seen.status,
        round(seen.seconds * 1000, 3) if seen.seconds is not None else None,
        request.remote_addr,
    )
    handler = _sole_handler()
    if handler is None:
        access_log.handle(_access_record(item))
    else:
        handler.put_access(item)
