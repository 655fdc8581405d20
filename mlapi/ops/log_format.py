"""The two formats of mlapi's log lines, JSON and text (docs/observability.md#logs), and
the access line built straight from its fields (``access_line``): the bytes ``format``
writes for its record, without building one (mlapi/ops/logs.py queues only the fields)."""

import json
import logging
import math
import time
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii

ACCESS = "mlapi.access"
ACCESS_FIELDS = (
    "request_id",
    "user_id",
    "api_key_id",
    "method",
    "endpoint",
    "status",
    "duration_ms",
    "remote_addr",
)
ACCESS_MESSAGE = "%s %s %s %sms"  # method, route, status, duration
FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The standard attributes of every LogRecord; anything else came in through ``extra``.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def access_message(fields) -> str:
    """The access line's message from its fields (``ACCESS_FIELDS``' order)."""
    return ACCESS_MESSAGE % access_args(fields)


def access_args(fields) -> tuple:
    return fields[3], fields[4] or "(unmatched)", fields[5], fields[6]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the ``extra`` fields."""

    _second = (None, "")  # (second, its "YYYY-MM-DDTHH:MM:SS"): one datetime a second

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_extra(record))
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        try:
            return json.dumps(line, default=str, allow_nan=False)
        except ValueError:  # NaN/Infinity: not JSON; kept as text so the line still parses
            return json.dumps(json.loads(json.dumps(line, default=str), parse_constant=str))

    def access_line(self, item: tuple) -> str:
        """``format`` of the access record of ``item`` (created, then the fields), byte for
        byte: the keys in their known order, each value encoded alone (``_json``), and the
        second of the timestamp reused (``fromtimestamp``'s rounding to the microsecond,
        done here, decides which second)."""
        created, *fields = item
        fraction, second = math.modf(created)
        micros = round(fraction * 1e6)
        if micros >= 1_000_000:
            second, micros = second + 1, micros - 1_000_000
        cached = self._second
        if cached[0] != second:
            cached = self._second = (
                second,
                datetime.fromtimestamp(int(second), UTC).isoformat()[:-6],
            )
        return _JSON_ACCESS % (
            cached[1],
            micros // 1000,
            _json(logging.getLevelName(logging.INFO)),
            _json(access_message(fields)),
            *map(_json, fields),
        )


class TextFormatter(logging.Formatter):
    """A readable line for a terminal, the ``extra`` fields appended as ``key=value``."""

    _second = (None, "")  # (second, its asctime without the milliseconds)

    def __init__(self):
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{key}={value}" for key, value in _extra(record))
        line = super().format(record)
        return f"{line} [{extra}]" if extra else line

    def access_line(self, item: tuple) -> str:
        """``format`` of the access record of ``item``, byte for byte; the asctime's
        second (``converter``, ``strftime``) reused."""
        created, *fields = item
        second = int(created)
        cached = self._second
        if cached[0] != second:
            cached = self._second = (
                second,
                time.strftime(self.default_time_format, self.converter(created)),
            )
        msecs = int((created - second) * 1000) + 0.0  # LogRecord's
        extra = " ".join(f"{key}={value}" for key, value in zip(ACCESS_FIELDS, fields, strict=True))
        return (
            f"{self.default_msec_format % (cached[1], msecs)} "
            f"{logging.getLevelName(logging.INFO)} {ACCESS}: "
            f"{access_message(fields)} [{extra}]"
        )


ACCESS_FORMATTERS = (JsonFormatter, TextFormatter)
_JSON_ACCESS = (
    '{"ts": "%s.%03dZ", "level": %s, "logger": "'
    + ACCESS
    + '", "message": %s, '
    + ", ".join(f'"{key}": %s' for key in ACCESS_FIELDS)
    + "}"
)


def _json(value) -> str:
    """``value`` as ``JsonFormatter.format`` writes it in a line (NaN and the infinities as
    strings); a type other than these four through ``json.dumps`` itself."""
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    try:
        return json.dumps(value, default=str, allow_nan=False)
    except ValueError:
        return json.dumps(json.loads(json.dumps(value, default=str), parse_constant=str))


def _extra(record: logging.LogRecord):
    return (
        (key, value)
        for key, value in vars(record).items()
        if key not in _RECORD_ATTRIBUTES and not key.startswith("_")
    )


def formatter_for(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return TextFormatter()
    raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, got {log_format!r}")
