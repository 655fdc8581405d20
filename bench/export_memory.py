"""Memory and speed of the history export: ``python bench/export_memory.py``.

In process, on a new SQLite file (or, with ``--database-url`` or ``MLAPI_TEST_DATABASE_URL``
naming a PostgreSQL server, a new database on it, dropped at the end): one user's history
of 20,000 rows and another's of 200,000, written in bulk with SQL; then each is exported
(``GET /api/v1/predictions/export``) through the WSGI app, the body read chunk by chunk and
thrown away as a client would write it to disk. Per size, prints:

- rows/s and MB/s of a plain pass, and the process's ``ru_maxrss`` before and after it
  (the high-water mark: it only grows, so a flat value means the export needed no more);
- tracemalloc's peak above the start of a second, traced pass (slower: not timed).

A streamed export shows the same peak for both sizes.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from profile_predict import mlapi_app, token_for

os.environ.setdefault("MLAPI_LOG_LEVEL", "WARNING")  # no access log line per request

EXPORT = "/api/v1/predictions/export"
SEED_BATCH = 10_000
FEATURES = [0.038, 0.05, 0.061, 0.021, -0.044, -0.034, -0.043, -0.002, 0.019, -0.017]


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def seed(app, owner_id: int, rows: int) -> None:
    from sqlalchemy import insert, text

    from mlapi.extensions import db
    from mlapi.predictions.models import Prediction
    from mlapi.registry.service import default_model

    start = datetime(2026, 1, 1)
    with app.app_context():
        model = default_model()
        for first in range(0, rows, SEED_BATCH):
            batch = [
                {
                    "owner_id": owner_id,
                    "model_id": model.id,
                    "model_name": model.name,
                    "model_version": model.version,
                    "features": FEATURES,
                    "prediction": 150.0 + i % 7,
                    "probabilities": None,
                    "cached": False,
                    "latency_ms": 0.4,
                    "created_at": start + timedelta(seconds=i // 3),
                }
                for i in range(first, min(first + SEED_BATCH, rows))
            ]
            db.session.execute(insert(Prediction), batch)
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load: without statistics the planner
            # takes the owner's 200,000 rows for a few hundred and sorts them per batch.
            db.session.execute(text("ANALYZE predictions"))
            db.session.commit()


def export(app, headers: dict, fmt: str) -> tuple[int, int]:
    """(lines, bytes) of the file, read from the WSGI app chunk by chunk."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=EXPORT, query_string={"format": fmt}, headers=headers)
    body = app(environ.get_environ(), lambda status, _headers, _exc_info=None: None)
    lines = size = 0
    try:
        for chunk in body:
            lines += chunk.count(b"\n")
            size += len(chunk)
    finally:
        body.close()
    return lines, size


def measure(app, headers: dict, rows: int, fmt: str) -> None:
    gc.collect()
    rss_before = maxrss_mb()
    started = time.perf_counter()
    lines, size = export(app, headers, fmt)
    seconds = time.perf_counter() - started
    rss_after = maxrss_mb()
    expected = rows + (fmt == "csv")
    assert lines == expected, (lines, expected)
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    export(app, headers, fmt)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{fmt:5} {rows:>8,} rows  {rows / seconds:>9,.0f} rows/s  "
        f"{size / seconds / 1e6:6.1f} MB/s  "
        f"file {size / 1e6:6.1f} MB  tracemalloc peak {(peak - base) / 1e6:5.2f} MB  "
        f"ru_maxrss {rss_before:6.1f} -> {rss_after:6.1f} MB"
    )


def user_headers(app, token_owner: str | None = None) -> tuple[dict, int]:
    """A new account's bearer headers and id (``token_for`` registers "profiler" once)."""
    client = app.test_client()
    if token_owner is None:
        token = token_for(app)
    else:
        password = uuid.uuid4().hex
        client.post(
            "/api/v1/auth/register",
            json={
                "username": token_owner,
                "email": f"{token_owner}@example.com",
                "password": password,
            },
        )
        token = client.post(
            "/api/v1/auth/login", json={"username": token_owner, "password": password}
        ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    return headers, client.get("/api/v1/users/me", headers=headers).get_json()["id"]


def postgres_database(server_url: str):
    """(name, URL, admin engine) of a new database on the server of ``server_url``."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"mlapi_export_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return name, server.set(database=name).render_as_string(hide_password=False), admin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="the large history (200,000)")
    parser.add_argument("--small", type=int, default=20_000, help="the small history (20,000)")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("MLAPI_TEST_DATABASE_URL"),
        help="a PostgreSQL server (a new database is made on it); default: a SQLite file",
    )
    args = parser.parse_args(argv)

    import sqlalchemy as sa

    database = admin = None
    with tempfile.TemporaryDirectory(prefix="mlapi-export-") as tmp:
        if args.database_url:
            database, url, admin = postgres_database(args.database_url)
            os.environ.update({"MLAPI_DATABASE_URL": url, "MLAPI_MODEL_STORE": "db"})
        else:
            os.environ["MLAPI_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'mlapi.db'}"
            os.environ["MLAPI_MODEL_STORE"] = str(Path(tmp) / "models")
        try:
            app, _ = mlapi_app(Path(tmp), "sqlite")  # the URL is already set above
            backend = "PostgreSQL" if database else "SQLite"
            print(f"{backend}: seeding {args.small:,} + {args.rows:,} rows …", file=sys.stderr)
            small_headers, small_id = user_headers(app)
            large_headers, large_id = user_headers(app, "bulk")
            seed(app, small_id, args.small)
            seed(app, large_id, args.rows)
            print(f"{backend}, Python {sys.version.split()[0]}")
            export(app, small_headers, args.format)  # warm: statements compiled, pool open
            measure(app, small_headers, args.small, args.format)
            measure(app, large_headers, args.rows, args.format)
        finally:
            if database:
                with app.app_context():
                    from mlapi.extensions import db

                    db.engine.dispose()
                with admin.connect() as connection:
                    connection.execute(
                        sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                    )
                admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
