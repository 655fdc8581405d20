"""Where a prediction's time goes, in-process: ``python bench/profile_predict.py``.

Drives the floor app and mlapi through Flask's WSGI interface in this one process (no
network, no gunicorn, no wrk), so the CPU cost per request of each can be compared
quietly: prints microseconds per request (median of five rounds) for the floor and for
mlapi's ``POST /api/v1/predict`` (bearer token, every input different: cache miss, history
committed), then, with ``--profile``, a pyinstrument profile of mlapi's requests
(``pip install pyinstrument``). ``--backend postgres`` runs mlapi on a new PostgreSQL
database (+ Redis) as bench/run.py's production row does; the default is SQLite.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "load")]
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import mlapi_service as svc  # noqa: E402


def _environ(path: str, body: bytes, headers: dict, method: str = "POST") -> dict:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
        "QUERY_STRING": "",
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
    environ.update(
        {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    )
    return environ


def _call(app, path: str, body: bytes, headers: dict) -> str:
    import io

    environ = _environ(path, body, headers)
    environ["wsgi.input"] = io.BytesIO(body)
    status = []
    chunks = app(environ, lambda s, h, exc_info=None: status.append(s))
    b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return status[0]


def rounds(app, path: str, headers: dict, requests: int, counter: list) -> list[float]:
    """µs per request, five rounds of ``requests`` fresh-input predictions."""
    import json

    results = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(requests):
            counter[0] += 1
            body = json.dumps({"features": [counter[0] / 1e6] + [0.01] * 9}).encode()
            status = _call(app, path, body, headers)
            if not status.startswith("200"):
                raise RuntimeError(f"{path}: {status}")
        results.append((time.perf_counter() - started) / requests * 1e6)
    return results


def mlapi_app(workdir: Path, backend: str, database_url: str | None = None):
    """mlapi in this process; on PostgreSQL, a new database unless ``database_url`` is given
    (returned as the second value when created here: the caller drops it)."""
    os.environ.update(
        {
            "MLAPI_ENV": "production",
            "MLAPI_SECRET_KEY": secrets.token_urlsafe(48),
            "MLAPI_INSTANCE_PATH": str(workdir / "instance"),
            "MLAPI_RATELIMIT_ENABLED": "false",
            "MLAPI_AUTO_MIGRATE": "true",
            "MLAPI_WEBHOOK_WORKER": "false",
        }
    )
    database = None
    if backend == "postgres":
        if database_url is None:
            database, database_url = svc.create_database("mlapi_profile")
        os.environ.update(
            {
                "MLAPI_DATABASE_URL": database_url,
                "MLAPI_REDIS_URL": svc.REDIS_URL,
                "MLAPI_MODEL_STORE": "db",
                "MLAPI_RATELIMIT_KEY_PREFIX": f"mlapi-prof-{secrets.token_hex(4)}",
            }
        )
    from mlapi.app import create_app

    return create_app(), database


def token_for(app) -> str:
    client = app.test_client()
    password = secrets.token_urlsafe(16)
    client.post(
        "/api/v1/auth/register",
        json={"username": "profiler", "email": "profiler@example.com", "password": password},
    )
    answer = client.post("/api/v1/auth/login", json={"username": "profiler", "password": password})
    return answer.get_json()["access_token"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=500, help="requests per round (500)")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args(argv)

    import floor_app

    counter = [0]
    with tempfile.TemporaryDirectory(prefix="mlapi-profile-") as tmp:
        app, database = mlapi_app(Path(tmp), args.backend)
        try:
            headers = {"Authorization": f"Bearer {token_for(app)}"}
            floor = rounds(floor_app.app, "/predict", {}, args.requests, counter)
            mlapi = rounds(app, "/api/v1/predict", headers, args.requests, counter)
            floor_us, mlapi_us = statistics.median(floor), statistics.median(mlapi)
            print(
                f"floor  {floor_us:8.0f} µs/request  (rounds: "
                f"{', '.join(f'{v:.0f}' for v in floor)})"
            )
            print(
                f"mlapi  {mlapi_us:8.0f} µs/request  (rounds: "
                f"{', '.join(f'{v:.0f}' for v in mlapi)})  [{args.backend}, cache miss]"
            )
            print(f"mlapi / floor = {mlapi_us / floor_us:.2f}")
            if args.profile:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0002)
                with profiler:
                    rounds(app, "/api/v1/predict", headers, args.requests, counter)
                print(profiler.output_text(unicode=True, color=False, show_all=False))
        finally:
            if database:
                from mlapi.extensions import db

                with app.app_context():
                    db.engine.dispose()
                svc.drop_database(database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
