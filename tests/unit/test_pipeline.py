"""One request pipeline (issue 17, decision 4): every request hook declared in
mlapi/pipeline.py, in its order, and each request timed and named once for every observer."""

import functools
import logging
import uuid
from types import SimpleNamespace

import flask
import pytest
from flask import Blueprint, Flask
from flask.sessions import NullSession
from prometheus_client.parser import text_string_to_metric_families

import mlapi.app
from mlapi import create_app
from mlapi.access_listener import start_hook as access_listener_hook
from mlapi.http import new_request_id
from mlapi.ops.recorder import recorder

BEFORE = [
    "request id and clock",
    "access cache: forget the last request's epoch",
    "webhook worker of this process",
    "schema present (first start)",
]
AFTER = [
    "request id and security headers",
    "CORS headers (flask-cors)",
    "rate-limit headers (Flask-Limiter)",
    "Retry-After only on 429",
    "metrics",
    "endpoint stats",
    "access log",
]
TEARDOWN = ["rate limiter context (Flask-Limiter)", "metrics: unhandled exceptions"]


def test_the_declaration_is_the_only_hook_and_pins_the_order(configured_app):
    app = configured_app(CORS_ORIGINS=["https://app.example.com"], WEBHOOK_WORKER=True)
    pipeline = app.extensions["mlapi.pipeline"]

    assert pipeline.names() == {"before": BEFORE, "after": AFTER, "teardown": TEARDOWN}
    assert dict(app.before_request_funcs) == {None: [pipeline.run_before]}
    assert dict(app.after_request_funcs) == {None: [pipeline.run_after]}
    assert dict(app.teardown_request_funcs) == {None: [pipeline.run_teardown]}


def test_without_cors_or_webhook_worker_their_steps_are_left_out(configured_app):
    app = configured_app(CORS_ORIGINS=[], WEBHOOK_WORKER=False)

    names = app.extensions["mlapi.pipeline"].names()

    assert "webhook worker of this process" not in names["before"]
    assert "CORS headers (flask-cors)" not in names["after"]


@pytest.mark.parametrize(
    ("url", "enabled", "declared"),
    [
        ("postgresql+psycopg://db.example/mlapi", True, True),
        ("postgresql+psycopg://db.example/mlapi", False, False),
        ("sqlite:///mlapi.db", True, False),
    ],
)
def test_the_access_listener_step_is_declared_on_postgresql_when_enabled(url, enabled, declared):
    app = SimpleNamespace(config={"SQLALCHEMY_DATABASE_URI": url, "ACCESS_LISTENER": enabled})

    assert (access_listener_hook(app) is not None) is declared


def stray_hook() -> None:
    """A hook some module registers on its own, outside the declaration."""


@pytest.mark.parametrize(
    "register",
    [
        lambda app: app.before_request(stray_hook),
        lambda app: app.after_request(lambda response: response),
        lambda app: app.teardown_request(lambda error: None),
        lambda app: app.register_blueprint(_blueprint_with_a_hook()),
    ],
)
def test_an_app_with_an_undeclared_hook_does_not_start(app_config, monkeypatch, register):
    original = mlapi.app.register_commands

    def register_commands_and_a_hook(app):
        original(app)
        register(app)

    monkeypatch.setattr(mlapi.app, "register_commands", register_commands_and_a_hook)

    with pytest.raises(RuntimeError, match=r"mlapi\.pipeline"):
        create_app(app_config)


def _blueprint_with_a_hook() -> Blueprint:
    blueprint = Blueprint("stray", __name__)
    blueprint.before_request(stray_hook)
    return blueprint


def test_one_clock_times_the_request_for_log_metrics_and_endpoint_stats(
    app, client, monkeypatch, caplog
):
    """The request starts at 10.0 s and its figures are taken at 10.25 s: the access line,
    the histogram and the admin stats all say 250 ms."""
    monkeypatch.setattr("mlapi.http.time", SimpleNamespace(perf_counter=lambda: 10.0))
    monkeypatch.setattr("mlapi.ops.observability.time", SimpleNamespace(perf_counter=lambda: 10.25))
    caplog.set_level(logging.INFO, logger="mlapi.access")

    answer = client.get("/livez", headers={"X-Request-ID": "req-one"})

    [line] = [r for r in caplog.records if r.name == "mlapi.access"]
    assert (line.duration_ms, line.request_id) == (250.0, "req-one")
    assert answer.headers["X-Request-ID"] == "req-one"
    scraped = client.get("/metrics").get_data(as_text=True)
    sums = {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        if sample.name == "mlapi_http_request_duration_seconds_sum"
    }
    assert sums == {(("endpoint", "/livez"), ("method", "GET"), ("status", "200")): 0.25}
    livez = next(row for row in recorder(app).snapshot() if row["endpoint"] == "/livez")
    assert (livez["count"], livez["p95_ms"]) == (1, 250.0)


async def _a_coroutine_view():
    return "async"


class _CallableObject:
    def __call__(self):
        return "called"


def test_ensure_sync_answers_plain_functions_and_leaves_the_rest_to_flask(app, monkeypatch):
    """Plain functions and methods come back as they are; a coroutine function, a partial,
    a callable object or a function marked a coroutine go to Flask's own judgement."""
    monkeypatch.setattr(app, "async_to_sync", lambda func: ("wrapped", func))
    marked = lambda: None  # noqa: E731
    marked._is_coroutine_marker = object()
    method = _CallableObject().__call__
    partial_coroutine = functools.partial(_a_coroutine_view)
    callable_object = _CallableObject()

    assert app.ensure_sync(stray_hook) is stray_hook
    assert app.ensure_sync(method) is method
    assert app.ensure_sync(_a_coroutine_view) == ("wrapped", _a_coroutine_view)
    assert app.ensure_sync(partial_coroutine) == ("wrapped", partial_coroutine)
    assert app.ensure_sync(callable_object) is callable_object
    assert app.ensure_sync(marked) == Flask.ensure_sync(app, marked)  # (3.12+: a coroutine)


def test_no_session_is_opened_read_or_saved(app, client):
    """The API keeps no Flask session: a cookie a client sends is ignored, none is set, and
    code that tried to write one would fail loudly."""
    client.set_cookie("session", "eyJ4IjoxfQ.forged.signature")

    answer = client.get("/livez")

    assert "Set-Cookie" not in answer.headers
    assert "Vary" not in answer.headers
    with app.test_request_context("/livez"):
        assert isinstance(flask.session, NullSession)
        assert dict(flask.session) == {}
        with pytest.raises(RuntimeError):
            flask.session["user"] = 1


def test_a_new_request_id_is_a_uuid4_in_hex():
    ids = {new_request_id() for _ in range(200)}

    assert len(ids) == 200
    for request_id in ids:
        parsed = uuid.UUID(request_id)
        assert (parsed.hex, parsed.version, parsed.variant) == (request_id, 4, uuid.RFC_4122)
