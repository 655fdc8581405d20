"""What a prediction's history INSERT costs on PostgreSQL: ``python bench/history_insert.py``.

In process, on a new PostgreSQL database (as ``bench/profile_predict.py --backend
postgres``), the same history row written three ways, in interleaved rounds so the noise of
the machine falls on all three alike; prints the median µs per INSERT of each:

- ``session engine``: ``autocommit_scalar`` on the app's engine (synchronous commit; the
  path before the history engine: an ``execution_options`` per INSERT);
- ``history engine, sync on``: mlapi/predictions/history_writer.py with
  ``synchronous_commit`` left on (what the engine alone saves on the client);
- ``history engine``: the history engine as the app runs it (``synchronous_commit=off``).

``--requests`` also times whole ``POST /api/v1/predict`` requests (cache miss) with the
history engine's setting on and off.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from profile_predict import mlapi_app, rounds, svc, token_for

os.environ.setdefault("MLAPI_LOG_LEVEL", "WARNING")  # no access log line per request


def insert_rounds(write, row: dict, inserts: int) -> float:
    started = time.perf_counter()
    for _ in range(inserts):
        write(dict(row))
    return (time.perf_counter() - started) / inserts * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inserts", type=int, default=500, help="INSERTs per round (500)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", action="store_true", help="also time whole requests")
    args = parser.parse_args(argv)

    from sqlalchemy import create_engine

    from mlapi.database import autocommit_scalar
    from mlapi.extensions import ENGINE_OPTIONS, db
    from mlapi.predictions import history_writer as hw
    from mlapi.registry.service import default_model

    with tempfile.TemporaryDirectory(prefix="mlapi-history-") as tmp:
        app, database = mlapi_app(Path(tmp), "postgres")
        headers = {"Authorization": f"Bearer {token_for(app)}"}
        try:
            with app.app_context():
                asynchronous = hw.history_writer()
                synchronous = hw.HistoryWriter(
                    create_engine(db.engine.url, isolation_level="AUTOCOMMIT", **ENGINE_OPTIONS)
                )
                model = default_model()
                row = {
                    "owner_id": 1,
                    "model_id": model.id,
                    "model_name": model.name,
                    "model_version": model.version,
                    "features": [0.1] * 10,
                    "prediction": 1.5,
                    "probabilities": None,
                    "cached": False,
                    "latency_ms": 0.1,
                }
                ways = {
                    "session engine (sync on)": lambda r: autocommit_scalar(hw._INSERT_ONE, r),
                    "history engine, sync on": synchronous.insert_one,
                    "history engine (sync off)": asynchronous.insert_one,
                }
                times = {name: [] for name in ways}
                for write in ways.values():
                    insert_rounds(write, row, 50)  # warm: connections, compiled statements
                for _ in range(args.rounds):
                    for name, write in ways.items():
                        times[name].append(insert_rounds(write, row, args.inserts))
            for name, values in times.items():
                print(
                    f"{name:28} {statistics.median(values):7.0f} µs/INSERT  (rounds: "
                    f"{', '.join(f'{v:.0f}' for v in values)})"
                )
            if args.requests:
                counter, per_request = [0], {"sync on": [], "sync off": []}
                for _ in range(args.rounds):
                    for name, writer in (("sync on", synchronous), ("sync off", asynchronous)):
                        app.extensions[hw.EXTENSION] = writer
                        per_request[name] += rounds(
                            app, "/api/v1/predict", headers, args.inserts // 5, counter
                        )
                app.extensions[hw.EXTENSION] = asynchronous
                for name, values in per_request.items():
                    print(f"predict, history {name:9} {statistics.median(values):7.0f} µs/request")
        finally:
            with app.app_context():
                db.engine.dispose()
                hw.history_writer().engine.dispose()
                synchronous.engine.dispose()
            svc.drop_database(database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
