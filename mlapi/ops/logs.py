"""Logs: one line per request on ``mlapi.access``, JSON or text, and never a secret
(docs/observability.md#logs).

The ``mlapi`` logger's handler formats and writes off the thread that logs: a request
thread builds the record and puts it on a queue (stdlib ``QueueHandler``), and a thread of
the process (``QueueListener``) formats and writes it to stderr.
"""

import json
import logging
import os
import queue
import sys
import weakref
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener

from flask import Flask, g, request
from sqlalchemy import inspect as sa_inspect

from .seen import Seen

LOGGER = "mlapi"
access_log = logging.getLogger("mlapi.access")
werkzeug_log = logging.getLogger("werkzeug")
FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The standard attributes of every LogRecord; anything else came in through ``extra``.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(
                    timespec="milliseconds").replace("+00:00", "Z"),
                "level": record.levelname, "logger": record.name,
                "message": record.getMessage()}
        line.update(_extra(record))
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        try:
            return json.dumps(line, default=str, allow_nan=False)
        except ValueError:  # NaN/Infinity: not JSON; kept as text so the line still parses
            return json.dumps(json.loads(json.dumps(line, default=str), parse_constant=str))


class TextFormatter(logging.Formatter):
    """A readable line for a terminal, the ``extra`` fields appended as ``key=value``."""

    def __init__(self):
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{key}={value}" for key, value in _extra(record))
        line = super().format(record)
        return f"{line} [{extra}]" if extra else line


def _extra(record: logging.LogRecord):
    return ((key, value) for key, value in vars(record).items()
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"))


class _StderrWriter(logging.StreamHandler):
    """Formats with its owner's formatter and writes to whatever ``sys.stderr`` is at the
    time (pytest swaps it per test); runs on the owner's listener thread."""

    def __init__(self, owner: "_StderrHandler"):
        logging.Handler.__init__(self)
        self.owner = owner

    @property
    def stream(self):
        return sys.stderr

    def format(self, record: logging.LogRecord) -> str:
        return self.owner.format(record)


class _StderrHandler(QueueHandler):
    """Queues each record for a listener thread that formats and writes it to stderr.

    One listener per process, started with the handler and again in a forked child (a
    gunicorn worker: threads do not survive ``fork``, and records queued in the parent are
    the parent's to write). ``flush()`` returns once every record queued before it is
    written (tests; ``logging.shutdown``); ``close()`` (``logging.shutdown``, at exit)
    writes what is queued and stops the thread, after which records are written at once,
    on the thread that logs: no line is lost on shutdown.
    """

    def __init__(self):
        super().__init__(queue.Queue())
        self.writer = _StderrWriter(self)
        self.listener: QueueListener | None = None
        self.after_fork()
        _handlers.add(self)

    def after_fork(self) -> None:
        """A new queue and listener thread (and so, in a forked child, the child's own: the
        parent's thread does not exist there, and what the parent queued is its own)."""
        self.queue = queue.Queue()
        self.listener = QueueListener(self.queue, self.writer)
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

    def flush(self) -> None:
        if self.listener is not None:
            self.queue.join()

    def close(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.stop()
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
        request_line = (record.levelno == logging.INFO and isinstance(record.msg, str)
                        and record.msg.endswith(self.REQUEST_LINE))
        return not (request_line and access_log.isEnabledFor(logging.INFO))


def formatter_for(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return TextFormatter()
    raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, got {log_format!r}")


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


def _caller_id() -> int | None:
    """The authenticated user's id, read without a database round trip: the session may
    have committed since (an expired instance would reload itself to answer ``.id``)."""
    caller = g.get("caller")
    if caller is None:
        return None
    state = sa_inspect(caller, raiseerr=False)
    if state is not None and state.identity:
        return state.identity[0]
    return getattr(caller, "id", None)


def log_request(seen: Seen) -> None:
    """The access-log step of the pipeline, last: the line with the final status and
    headers. Only the record is built here (``makeRecord``, without the caller lookup
    ``Logger.info`` would do: the line names no source file); the handler's thread formats
    and writes it."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    duration_ms = round(seen.seconds * 1000, 3) if seen.seconds is not None else None
    fields = {
        "request_id": g.get("request_id"),  # what ``finish`` put in X-Request-ID
        "user_id": _caller_id(),
        "api_key_id": g.get("api_key_id"),
        "method": seen.method,
        "endpoint": seen.endpoint,
        "status": seen.status,
        "duration_ms": duration_ms,
        "remote_addr": request.remote_addr,
    }
    access_log.handle(access_log.makeRecord(
        access_log.name, logging.INFO, "", 0, "%s %s %s %sms",
        (seen.method, seen.endpoint or "(unmatched)", seen.status, duration_ms), None,
        extra=fields))
