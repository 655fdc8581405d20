"""What the per-request access check costs on SQLite: ``python bench/sqlite_access_check.py``.

In process, on the embedded database of a production-profile app (as
``bench/profile_predict.py``), interleaved rounds of each way a request could learn that
the access cache is stale; prints the median µs per check, then what a prediction's own
history INSERT does to ``PRAGMA data_version`` as seen by a connection kept for the check:

- ``counter read (hot engine)``: ``read_scalar`` of the counter row, the path mlapi takes
  (a plain SELECT on a connection of the hot engine, mlapi/database.py);
- ``counter read (pool)``: ``autocommit_scalar`` of the counter row, the path before it;
- ``counter read (own connection)``: the same SELECT on a sqlite3 connection kept open;
- ``data_version (own connection)``: ``PRAGMA data_version`` on that connection;
- ``data_version (pool)``: the PRAGMA on whichever pooled connection comes out (its value
  is per connection, so comparing two readings of two connections means nothing).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from profile_predict import mlapi_app, token_for

os.environ.setdefault("MLAPI_LOG_LEVEL", "WARNING")


def per_call(check, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        check()
    return (time.perf_counter() - started) / calls * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="checks per round (2000)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)

    from sqlalchemy import text

    from mlapi.access_cache import _READ_COUNTER
    from mlapi.database import autocommit_scalar, read_scalar
    from mlapi.extensions import db

    with tempfile.TemporaryDirectory(prefix="mlapi-sqlite-check-") as tmp:
        app, _ = mlapi_app(Path(tmp), "sqlite")
        headers = {"Authorization": f"Bearer {token_for(app)}"}
        with app.app_context():
            own = sqlite3.connect(db.engine.url.database, isolation_level=None)
            version = text("PRAGMA data_version")
            checks = {
                "counter read (hot engine)": lambda: read_scalar(_READ_COUNTER),
                "counter read (pool)": lambda: autocommit_scalar(_READ_COUNTER),
                "counter read (own connection)": lambda: own.execute(
                    "SELECT value FROM change_counters WHERE name = 'access'"
                ).fetchone(),
                "data_version (own connection)": lambda: own.execute(
                    "PRAGMA data_version"
                ).fetchone(),
                "data_version (pool)": lambda: autocommit_scalar(version),
            }
            timings = {name: [] for name in checks}
            for _ in range(args.rounds):
                for name, check in checks.items():
                    timings[name].append(per_call(check, args.calls))
            for name, rounds in timings.items():
                print(f"{name:32s} {statistics.median(rounds):7.1f} µs")

            before = own.execute("PRAGMA data_version").fetchone()[0]
            counter = autocommit_scalar(_READ_COUNTER)
        client = app.test_client()
        answer = client.post("/api/v1/predict", json={"features": [0.1] * 10}, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        with app.app_context():
            after = own.execute("PRAGMA data_version").fetchone()[0]
            print(
                f"one prediction (its history INSERT): data_version {before} -> {after}, "
                f"access counter {counter} -> {autocommit_scalar(_READ_COUNTER)}"
            )
        own.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
