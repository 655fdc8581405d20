"""Logs: one structured line per request on ``mlapi.access``, and no secret anywhere."""

import json
import logging
import sys
import threading

import pytest

from mlapi import create_app
from mlapi.config import ConfigError
from mlapi.extensions import db
from mlapi.ops.logs import (
    JsonFormatter,
    TextFormatter,
    _StderrHandler,
    _StderrWriter,
    formatter_for,
)
from tests.support.users import bearer

ACCESS = "mlapi.access"
FIELDS = {
    "request_id",
    "user_id",
    "api_key_id",
    "method",
    "endpoint",
    "status",
    "duration_ms",
    "remote_addr",
}


def access_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == ACCESS]


@pytest.fixture
def json_app(configured_app):
    return configured_app(LOG_FORMAT="json")


def test_one_json_line_per_request_on_stderr(json_app, capsys):
    client = json_app.test_client()
    capsys.readouterr()

    response = client.get("/api/v1/models/42?secret=hunter2", headers={"X-Request-ID": "req-1"})
    client.get("/livez")

    lines = [
        json.loads(line)
        for line in capsys.readouterr().err.splitlines()
        if f'"logger": "{ACCESS}"' in line
    ]
    assert len(lines) == 2
    first = lines[0]
    assert first.keys() >= FIELDS
    assert {
        k: first[k]
        for k in (
            "request_id",
            "method",
            "endpoint",
            "status",
            "user_id",
            "api_key_id",
            "remote_addr",
        )
    } == {
        "request_id": "req-1",
        "method": "GET",
        "endpoint": "/api/v1/models/{model_id}",
        "status": response.status_code,
        "user_id": None,
        "api_key_id": None,
        "remote_addr": "127.0.0.1",
    }
    assert isinstance(first["duration_ms"], float)
    assert first["duration_ms"] >= 0
    assert first["level"] == "INFO"
    assert first["ts"].endswith("Z")
    assert "hunter2" not in json.dumps(lines)
    assert "/42" not in json.dumps(lines)


def test_the_line_names_the_signed_in_user_and_the_key(client, user, auth_headers, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)
    created = client.post(
        "/api/v1/auth/api-keys", json={"name": "ci"}, headers=auth_headers
    ).get_json()

    client.get("/api/v1/users/me", headers=auth_headers)
    client.get("/api/v1/users/me", headers={"X-API-Key": created["key"]})

    by_token, by_key = access_records(caplog)[-2:]
    assert (by_token.user_id, by_token.api_key_id, by_token.status) == (user.id, None, 200)
    assert (by_key.user_id, by_key.api_key_id, by_key.status) == (user.id, created["id"], 200)
    assert by_key.request_id
    assert by_key.request_id != by_token.request_id


def test_requests_refused_before_the_view_are_logged_too(client, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)

    client.post("/api/v1/auth/login", data="not json", content_type="text/plain")
    client.get("/no/such/page")

    refused, unknown = access_records(caplog)[-2:]
    assert (refused.endpoint, refused.status) == ("/api/v1/auth/login", 415)
    assert (unknown.endpoint, unknown.status) == (None, 404)


def test_no_secret_reaches_any_log_record(client, caplog):
    """Password, tokens and key secret, through sign-up, sign-in, key creation and use,
    refresh and a failed sign-in, at DEBUG on every logger that could see them."""
    for name in (None, "mlapi", "werkzeug", "sqlalchemy"):
        caplog.set_level(logging.DEBUG, logger=name)
    password, wrong = "s3cret-Pa55word-never-logged", "wr0ng-Pa55word-never-logged"

    registered = client.post(
        "/api/v1/auth/register",
        json={"username": "logcheck", "email": "logcheck@example.com", "password": password},
    )
    tokens = client.post(
        "/api/v1/auth/login", json={"username": "logcheck", "password": password}
    ).get_json()
    created = client.post(
        "/api/v1/auth/api-keys", json={"name": "ci"}, headers=bearer(tokens["access_token"])
    )
    used = client.get("/api/v1/models", headers={"X-API-Key": created.get_json()["key"]})
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    client.post("/api/v1/auth/login", json={"username": "logcheck", "password": wrong})

    assert [
        registered.status_code,
        created.status_code,
        used.status_code,
        refreshed.status_code,
    ] == [201, 201, 200, 200]
    secrets = {
        password,
        wrong,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed.get_json()["access_token"],
        created.get_json()["key"],
    }
    assert len(access_records(caplog)) >= 6
    json_lines, text_lines = JsonFormatter(), TextFormatter()
    for record in caplog.records:
        seen = " ".join(
            [
                record.getMessage(),
                repr(vars(record)),
                json_lines.format(record),
                text_lines.format(record),
            ]
        )
        for secret in secrets:
            assert secret not in seen, (record.name, record.getMessage())


def test_text_format_is_readable(app, client, caplog):
    assert app.config["LOG_FORMAT"] == "text"
    caplog.set_level(logging.INFO, logger=ACCESS)

    client.get("/livez")

    line = TextFormatter().format(access_records(caplog)[-1])
    assert "INFO mlapi.access: GET /livez 200" in line
    assert "request_id=" in line
    assert "status=200" in line


def test_logging_is_set_up_once_and_keeps_propagating(app_config):
    for log_format in ("json", "text"):
        app = create_app({**app_config, "LOG_FORMAT": log_format})
        with app.app_context():
            db.engine.dispose()

    logger = logging.getLogger("mlapi")
    ours = [h for h in logger.handlers if isinstance(h, _StderrHandler)]
    assert len(ours) == 1
    assert isinstance(ours[0].formatter, TextFormatter)  # the latest app's format
    assert logger.propagate


@pytest.mark.parametrize(("setting", "value"), [("LOG_FORMAT", "xml"), ("LOG_LEVEL", "LOUD")])
def test_unknown_log_settings_are_refused(app_config, setting, value):
    with pytest.raises(ConfigError, match=f"MLAPI_{setting}"):
        create_app({**app_config, setting: value})


def test_json_lines_carry_tracebacks_and_refuse_unknown_formats():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.getLogger("mlapi.errors").makeRecord(
            "mlapi.errors",
            logging.ERROR,
            __file__,
            1,
            "failed (request_id=%s)",
            ("r1",),
            sys.exc_info(),
            sinfo="Stack (most recent call last)",
        )

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "failed (request_id=r1)"
    assert "RuntimeError: boom" in line["exc_info"]
    assert line["stack_info"].startswith("Stack")
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        formatter_for("xml")


def test_the_line_is_formatted_and_written_off_the_request_thread(app, client, monkeypatch):
    """The request thread only queues the record; the listener thread writes the line."""
    writers = []
    original = _StderrWriter.emit

    def noting(self, record):
        if record.name == ACCESS:
            writers.append(threading.current_thread())
        original(self, record)

    monkeypatch.setattr(_StderrWriter, "emit", noting)

    client.get("/livez")  # the test client waits for the queue (flush_logs)

    assert len(writers) == 1
    assert writers[0] is not threading.current_thread()


def test_closing_writes_every_queued_line_and_later_lines_at_once(capsys):
    """At exit (``logging.shutdown`` closes the handler) no queued line is lost, and a line
    logged after that is written by the thread that logs it."""
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("mlapi.tests.shutdown")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for number in range(200):
            logger.warning("queued %d", number)
        handler.close()
        assert handler.listener is None
        logger.warning("after close")
        lines = [json.loads(line)["message"] for line in capsys.readouterr().err.splitlines()]
    finally:
        logger.removeHandler(handler)
    assert lines == [f"queued {number}" for number in range(200)] + ["after close"]


def test_a_forked_child_writes_with_a_listener_of_its_own(capsys):
    """What ``os.register_at_fork`` runs in a gunicorn worker (``_restart_after_fork``) for
    each handler: a new queue and thread. Here the parent's thread is stopped first: in a
    real child it does not exist."""
    handler = _StderrHandler()
    handler.setFormatter(TextFormatter())
    parents = handler.queue
    handler.listener.stop()
    try:
        handler.after_fork()
        assert handler.queue is not parents
        assert handler.listener._thread.is_alive()
        handler.handle(
            logging.makeLogRecord(
                {
                    "name": "mlapi.fork",
                    "msg": "from the child",
                    "levelno": logging.INFO,
                    "levelname": "INFO",
                }
            )
        )
        handler.flush()
    finally:
        handler.close()
    assert "INFO mlapi.fork: from the child" in capsys.readouterr().err
