"""Database tuning that must hold on every connection."""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

# The largest id an Integer column holds on every supported database (PostgreSQL INTEGER).
# Larger ids in paths or filters are refused before they reach SQL, where they would fail
# (SQLite: OverflowError; PostgreSQL: out of range) as a 500.
MAX_ID = 2**31 - 1


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record) -> None:
    """WAL and a busy timeout let several workers share the embedded database without
    "database is locked"; NORMAL sync is durable across process crashes in WAL mode."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
