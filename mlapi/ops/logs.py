"""Logs: one line per request on ``mlapi.access``, JSON or text, and never a secret
(docs/observability.md#logs)."""

import json
import logging
import sys
import time
from datetime import UTC, datetime

from flask import Flask, g, request
from sqlalchemy import inspect as sa_inspect

from .recorder import route_template

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


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (pytest swaps it per test)."""

    def __init__(self, level=logging.NOTSET):
        logging.Handler.__init__(self, level)

    @property
    def stream(self):
        return sys.stderr


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


def _start_clock() -> None:
    g.access_started = time.perf_counter()


def _log_request(response):
    started = g.get("access_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 3) if started else None
    endpoint = route_template(request.url_rule.rule) if request.url_rule is not None else None
    fields = {
        "request_id": response.headers.get("X-Request-ID") or g.get("request_id"),
        "user_id": _caller_id(),
        "api_key_id": g.get("api_key_id"),
        "method": request.method,
        "endpoint": endpoint,
        "status": response.status_code,
        "duration_ms": duration_ms,
        "remote_addr": request.remote_addr,
    }
    access_log.info("%s %s %s %sms", request.method, endpoint or "(unmatched)",
                    response.status_code, duration_ms, extra=fields)
    return response


def init_access_log(app: Flask) -> None:
    """Register before the other request hooks: the clock starts first, and the line is
    written last (after-request hooks run in reverse), with the final status and headers."""
    app.before_request(_start_clock)
    app.after_request(_log_request)
