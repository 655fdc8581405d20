"""How fast ``flask retention purge`` deletes history: ``python bench/purge.py``.

Seeds ``--rows`` predictions (default 500,000: the older half past the retention period,
every other one with feedback) on a new PostgreSQL database on the server of
``--database-url`` (default ``MLAPI_TEST_DATABASE_URL``; created here and dropped at the
end) and on a new SQLite file, runs the purge in process as the command does, and prints
rows/s and batches/s for each. ``--backend`` picks one of the two.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DAYS = 30
SEED_CHUNK = 20_000


def new_postgres_database(server_url: str) -> tuple[str, callable]:
    """A database of its own on the server: its URL and the function that drops it."""
    name = f"mlapi_bench_purge_{secrets.token_hex(4)}"
    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server_url).set(database=name).render_as_string(hide_password=False), drop


def make_app(database_url: str, workdir: Path):
    from mlapi import create_app

    return create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(workdir / "instance"),
            "MODEL_STORE": str(workdir / "models"),
            "AUTO_MIGRATE": True,
            "RATELIMIT_ENABLED": False,
        }
    )


def seed(app, count: int) -> int:
    """``count`` predictions, the older half past the period, every other one with
    feedback; the number of old rows."""
    from mlapi.auth.models import User
    from mlapi.extensions import db
    from mlapi.predictions.models import Feedback, Prediction
    from mlapi.registry.models import MLModel
    from mlapi.timeutil import utcnow

    with app.app_context():
        owner = db.session.scalar(select(User.id).limit(1))
        model = db.session.scalar(select(MLModel.id).limit(1))
        now, old = utcnow(), count // 2
        with db.engine.begin() as connection:
            for start in range(1, count + 1, SEED_CHUNK):
                ids = range(start, min(start + SEED_CHUNK, count + 1))
                connection.execute(
                    insert(Prediction.__table__),
                    [
                        {
                            "id": i,
                            "owner_id": owner,
                            "model_id": model,
                            "model_name": "bench",
                            "model_version": 1,
                            "features": [0.1, 0.2, 0.3, 0.4],
                            "prediction": 1.0,
                            "cached": False,
                            "latency_ms": 1.0,
                            "created_at": now
                            - timedelta(days=DAYS + 1 if i <= old else 1)
                            + timedelta(milliseconds=i),
                        }
                        for i in ids
                    ],
                )
                connection.execute(
                    insert(Feedback.__table__),
                    [
                        {
                            "prediction_id": i,
                            "actual_value": 1.0,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for i in ids
                        if i % 2 == 0
                    ],
                )
            if db.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT setval('predictions_id_seq', :n)"), {"n": count})
                connection.execute(text("ANALYZE predictions; ANALYZE feedback"))
        return old


def measure(backend: str, database_url: str, rows: int, batch_size: int, workdir: Path) -> None:
    from mlapi.extensions import db
    from mlapi.retention.purge import purge

    app = make_app(database_url, workdir)
    started = time.perf_counter()
    old = seed(app, rows)
    print(f"{backend}: seeded {rows:,} predictions in {time.perf_counter() - started:.1f} s")
    with app.app_context():
        started = time.perf_counter()
        history = purge(DAYS, 0, batch_size=batch_size).history
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    assert history.deleted == old, (history.deleted, old)
    print(
        f"{backend}: deleted {history.deleted:,} predictions ({history.with_feedback:,} with "
        f"feedback) in {history.batches} batches of {batch_size:,}, {elapsed:.2f} s: "
        f"{history.deleted / elapsed:,.0f} rows/s, {history.batches / elapsed:.1f} batches/s"
    )


def main(argv: list[str] | None = None) -> int:
    from mlapi.retention.purge import BATCH_SIZE

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--database-url", default=os.environ.get("MLAPI_TEST_DATABASE_URL"))
    parser.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="both")
    args = parser.parse_args(argv)
    os.environ.setdefault("MLAPI_LOG_LEVEL", "WARNING")

    with tempfile.TemporaryDirectory(prefix="mlapi-purge-") as tmp:
        if args.backend in ("postgres", "both"):
            if not args.database_url:
                print("!! --database-url or MLAPI_TEST_DATABASE_URL: a PostgreSQL server")
                return 2
            url, drop = new_postgres_database(args.database_url)
            try:
                measure("postgresql", url, args.rows, args.batch_size, Path(tmp) / "pg")
            finally:
                drop()
        if args.backend in ("sqlite", "both"):
            url = f"sqlite:///{Path(tmp) / 'purge.db'}"
            measure("sqlite", url, args.rows, args.batch_size, Path(tmp) / "sqlite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
