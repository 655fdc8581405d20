"""The access line built from its fields alone (``access_line``, mlapi/ops/log_format.py)
is byte for byte its record's line, and it is what is written when mlapi's handler alone
would see the record (mlapi/ops/logs.py); anything else on the way gets the record."""

import contextlib
import json
import logging
import math
import random
import sys
import threading

import pytest

from mlapi.ops import logs
from mlapi.ops.log_format import ACCESS_FIELDS, JsonFormatter, TextFormatter
from mlapi.ops.logs import (
    _access_record,
    _DrainingListener,
    _sole_handler,
    _StderrHandler,
    _StderrWriter,
    access_log,
)

FIELDS = ("req-1", 7, None, "POST", "/api/v1/models/{model_id}/predict", 200, 12.345, "127.0.0.1")
ODD_FIELDS = [
    ('r\u00e9q "q"\n\ud800', None, 3, "GET", None, 404, 0.001, None),
    ("r", 1, 2, "GET", "/livez", 200, math.nan, "::1"),
    ("r", 1, 2, "GET", "/livez", 200, math.inf, "::1"),
    ("r", True, 2.5, "GET", "/livez", 500, -math.inf, b"bytes"),
    ({"a": [1, math.nan]}, 10**30, None, "GET", "/x", 200, 1e-05, object),
]
SECOND = 1_765_000_000


def _times() -> list[float]:
    """Edges of ``fromtimestamp``'s rounding to the microsecond and of the cached second,
    then many at random."""
    edges = [
        SECOND,
        SECOND + 0.9999996,
        SECOND + 0.9999994,
        SECOND + 0.0005,
        SECOND + 0.0004999,
        SECOND + 59.99999,
        SECOND + 0.5,
        SECOND + 0.5,
    ]
    draw = random.Random(17)
    return edges + [draw.uniform(1.7e9, 1.8e9) for _ in range(300)]


@pytest.mark.parametrize("formatter", [JsonFormatter, TextFormatter])
def test_an_access_line_is_its_records_line_byte_for_byte(formatter):
    lines = formatter()
    for created in _times():
        for fields in [FIELDS, *ODD_FIELDS]:
            item = (created, *fields)
            assert lines.access_line(item) == lines.format(_access_record(item)), item


@contextlib.contextmanager
def _alone():
    """mlapi's handler alone: pytest's capture handlers and the session's secret scan off
    the root logger for the time of the block."""
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = []
    try:
        yield
    finally:
        root.handlers[:] = saved


@pytest.fixture
def json_client(configured_app, capsys):
    client = configured_app(LOG_FORMAT="json").test_client()
    capsys.readouterr()
    return client


def _access_lines(capsys) -> list[dict]:
    return [
        json.loads(line)
        for line in capsys.readouterr().err.splitlines()
        if '"logger": "mlapi.access"' in line
    ]


def test_alone_the_handler_gets_the_fields_and_the_listener_writes_the_line(
    json_client, capsys, monkeypatch
):
    records, writers = [], []
    monkeypatch.setattr(access_log, "makeRecord", lambda *a, **k: records.append(a))
    handle = _StderrWriter.handle

    def noting(self, record):
        if type(record) is not threading.Event:  # flush_logs' mark, not a line
            writers.append((type(record), threading.current_thread()))
        return handle(self, record)

    monkeypatch.setattr(_StderrWriter, "handle", noting)
    with _alone():
        json_client.get("/livez?secret=hunter2", headers={"X-Request-ID": "alone-1"})

    (line,) = _access_lines(capsys)
    assert list(line) == ["ts", "level", "logger", "message", *ACCESS_FIELDS]
    assert (line["request_id"], line["endpoint"], line["status"]) == ("alone-1", "/livez", 200)
    assert records == []
    assert len(writers) == 1
    assert writers[0][0] is tuple
    assert writers[0][1] is not threading.current_thread()


def test_the_access_loggers_level_and_propagation_still_decide(json_client, capsys):
    with _alone():
        try:
            access_log.setLevel(logging.WARNING)
            json_client.get("/livez")
            access_log.setLevel(logging.NOTSET)
            access_log.propagate = False
            json_client.get("/livez")
        finally:
            access_log.setLevel(logging.NOTSET)
            access_log.propagate = True
        json_client.get("/livez")
    assert len(_access_lines(capsys)) == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda handler: access_log.addFilter(_noted),
        lambda handler: setattr(access_log, "disabled", True),
        lambda handler: logging.getLogger().addHandler(logging.NullHandler()),
        lambda handler: handler.addFilter(_noted),
        lambda handler: handler.setLevel(logging.WARNING),
        lambda handler: handler.setFormatter(logging.Formatter()),
        lambda handler: setattr(access_log, "propagate", False),
    ],
    ids=[
        "logger filter",
        "logger disabled",
        "another handler",
        "handler filter",
        "handler level",
        "another formatter",
        "no propagation",
    ],
)
def test_anything_else_on_the_way_gets_a_record(json_client, change):
    handler = next(h for h in logging.getLogger("mlapi").handlers if isinstance(h, _StderrHandler))
    saved = (handler.formatter, access_log.disabled)
    with _alone():
        assert _sole_handler() is handler
        try:
            change(handler)
            assert _sole_handler() is None
        finally:
            access_log.removeFilter(_noted)
            handler.removeFilter(_noted)
            handler.setLevel(logging.NOTSET)
            handler.setFormatter(saved[0])
            access_log.disabled, access_log.propagate = saved[1], True
            logging.getLogger().handlers[:] = []


def _noted(record: logging.LogRecord) -> bool:
    return True


def test_another_formatter_writes_the_record_as_it_did(json_client, capsys):
    handler = next(h for h in logging.getLogger("mlapi").handlers if isinstance(h, _StderrHandler))
    formatter = handler.formatter
    with _alone():
        try:
            handler.setFormatter(logging.Formatter("%(message)s|%(request_id)s"))
            json_client.get("/livez", headers={"X-Request-ID": "plain-1"})
        finally:
            handler.setFormatter(formatter)
    assert "GET /livez 200 " in capsys.readouterr().err.split("|plain-1\n")[0]


def test_a_line_its_formatter_cannot_build_takes_the_records_way(capsys):
    """The format changed between queueing and writing: the record's way writes it."""
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s|%(user_id)s"))
    try:
        handler.put_access((SECOND + 0.25, *FIELDS))
        handler.flush()
        assert handler.listener._thread.is_alive()
    finally:
        handler.close()
    assert capsys.readouterr().err == "POST /api/v1/models/{model_id}/predict 200 12.345ms|7\n"


def test_after_close_an_access_line_is_written_at_once_or_its_failure_reported(capsys, monkeypatch):
    handler = _StderrHandler()
    handler.setFormatter(TextFormatter())
    handler.close()
    item = (SECOND + 0.25, *FIELDS)

    handler.put_access(item)
    assert capsys.readouterr().err == TextFormatter().access_line(item) + "\n"

    class Closed:
        def write(self, text):
            raise ValueError("I/O operation on closed file")

    reported = []
    monkeypatch.setattr(handler.writer, "handleError", reported.append)
    monkeypatch.setattr(sys, "stderr", Closed())
    handler.put_access(item)
    monkeypatch.undo()
    assert [(record.name, record.request_id) for record in reported] == [("mlapi.access", "req-1")]


class _Writes:
    """A stderr that keeps each ``write`` call's text."""

    def __init__(self):
        self.calls = []

    def write(self, text):
        self.calls.append(text)

    def flush(self):
        pass


def test_the_lines_queued_between_two_looks_are_written_in_one_write(monkeypatch):
    writes = _Writes()
    monkeypatch.setattr(sys, "stderr", writes)
    handler = _StderrHandler()
    handler.setFormatter(TextFormatter())
    handler.listener.stop()
    items = [(SECOND + n, *FIELDS) for n in range(3)]
    try:
        for item in items:
            handler.put_access(item)
        handler.listener = _DrainingListener(handler.queue, handler.writer)
        handler.listener.start()  # finds the three lines at its first look
        handler.flush()
    finally:
        handler.close()
    assert writes.calls == ["".join(TextFormatter().access_line(item) + "\n" for item in items)]


def test_flush_and_close_wake_a_listener_between_two_looks(monkeypatch):
    """A put wakes nothing: the listener sleeps until its next look. ``flush`` (tests) and
    ``close`` (exit) do not wait for it (here it would be 10 minutes away)."""
    monkeypatch.setattr(logs, "DRAIN_SECONDS", 600)
    writes = _Writes()
    monkeypatch.setattr(sys, "stderr", writes)
    handler = _StderrHandler()
    handler.setFormatter(TextFormatter())
    try:
        handler.put_access((SECOND, *FIELDS))
        handler.flush()
        assert len(writes.calls) == 1
        handler.put_access((SECOND + 1, *FIELDS))
    finally:
        handler.close()
    assert not handler.writer.pending
    assert len("".join(writes.calls).splitlines()) == 2
