"""The child side of bench/instructions.py: one server (the floor, or mlapi on SQLite or
PostgreSQL + Redis) driven through its WSGI interface under callgrind, each case's requests
between two marker calls (the window), which the parent reads from callgrind's dumps.

Runs only as ``bench/instructions.py --child <backend>``, started by the parent."""

from __future__ import annotations

import gc
import io
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "load")]

import profile_predict as prof  # noqa: E402

# With --steps: each step of the request pipeline measured on its own (bench/pipeline_steps.py).
STEP_CASES = ("predict, token, cache miss", "GET /livez")


class Case:
    """One kind of request: label, method, path, headers and its bodies (see _bodies)."""

    def __init__(
        self, label: str, method: str, path: str, headers: dict | None = None, body: str = "none"
    ):
        self.label, self.method, self.path, self.body = label, method, path, body
        self.headers = headers or {}


_counter = [0]
FIXED = json.dumps({"features": [0.5] * 10}).encode()


def _bodies(case: Case, count: int) -> list[bytes]:
    """``vary``: fresh features for every predict (a cache miss, across cases too);
    ``fixed``: one repeated input (a cache hit after the first); ``none``: a GET."""
    if case.body == "fixed":
        return [FIXED] * count
    if case.body == "none":
        return [b""] * count
    out = []
    for _ in range(count):
        _counter[0] += 1
        out.append(json.dumps({"features": [_counter[0] / 1e6] + [0.01] * 9}).encode())
    return out


def _serve(app, case: Case, count: int) -> None:
    """``count`` requests; the environs are built first, so the window counts the app."""
    bodies = _bodies(case, count)
    environs = [prof._environ(case.path, body, case.headers, case.method) for body in bodies]
    statuses = []
    start = statuses.append
    for environ, body in zip(environs, bodies, strict=True):
        environ["wsgi.input"] = io.BytesIO(body)
        chunks = app(environ, lambda status, headers, exc_info=None: start(status))
        for _ in chunks:
            pass
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    bad = [s for s in statuses if not s.startswith("200")]
    if bad:
        raise RuntimeError(f"{case.label}: {len(bad)} answers not 200, e.g. {bad[0]}")


def _cases(backend: str, app) -> list[Case]:
    if backend == "floor":
        return [
            Case("POST /predict", "POST", "/predict", body="vary"),
            Case("GET /livez", "GET", "/livez"),
        ]
    bearer = {"Authorization": f"Bearer {prof.token_for(app)}"}
    answer = app.test_client().post("/api/v1/auth/api-keys", json={"name": "instr"}, headers=bearer)
    api_key = {"X-API-Key": answer.get_json()["key"]}
    predict = "/api/v1/predict"
    return [
        Case("predict, token, cache miss", "POST", predict, bearer, "vary"),
        Case("predict, token, cache hit", "POST", predict, bearer, "fixed"),
        Case("predict, API key, cache miss", "POST", predict, api_key, "vary"),
        Case("GET /livez", "GET", "/livez"),
        Case("GET /health", "GET", "/health"),
    ]


def _listen(app) -> None:
    """A worker's access listener, connected once but without its thread, so requests take
    their production path (no counter read while the listener is connected). Its probes
    (20 a second whatever the traffic) are no request's cost; a frozen clock keeps its one
    heartbeat fresh."""
    from mlapi.access_listener import listener_for

    listener = listener_for(app, clock=lambda: 0.0)
    if not listener.run_once():
        raise RuntimeError("the access listener could not connect")
    app.extensions["mlapi.access_cache"].listener = listener


def _no_log_queue() -> None:
    """The floor writes no log lines."""


def child(backend: str, args) -> int:
    import ctypes

    helper = ctypes.CDLL(str(args.helper))
    if backend == "floor":
        import floor_app

        app = floor_app.app
    else:
        os.environ["MLAPI_ACCESS_LISTENER"] = "false"  # no thread in the count (_listen)
        app, _ = prof.mlapi_app(args.workdir, backend, os.environ.get("INSTR_DATABASE_URL"))
        if backend == "postgres":
            _listen(app)
    flush = _no_log_queue
    if backend != "floor":
        # mlapi's log lines are written by a thread of their own (mlapi/ops/logs.py):
        # callgrind counts it too, so each window waits for the lines of its requests and
        # starts with none queued by the warm-up, whenever the thread gets to run.
        from mlapi.ops.logs import flush_logs as flush
    helper.window_open()  # dump 1: the empty window
    helper.window_close()
    measured = []
    for case in _cases(backend, app):
        _serve(app, case, args.warmup)
        flush()
        # Every window starts right after a full collection: where the cyclic collector's
        # runs fell otherwise (in one window or the next) moved a whole row (one read
        # 5.37 M instructions a request where, with the collector off, it read 3.44 M).
        gc.collect()
        helper.window_open()
        _serve(app, case, args.requests)
        flush()
        helper.window_close()
        measured.append(case.label)
        if args.steps and case.label in STEP_CASES:
            import pipeline_steps

            pipeline_steps.measure(app, helper, _serve, case, measured)
    args.result.write_text(json.dumps(measured))
    return 0
