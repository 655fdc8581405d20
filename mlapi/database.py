"""Database tuning that must hold on every connection, and the hot path's connection."""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

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



def autocommit_scalar(statement, parameters: dict | None = None):
    """Run one statement as a transaction of its own; its first column's first value.

    The hot path sends single statements: the access counter read of every request and, on
    SQLite, the history insert of a prediction (on PostgreSQL that one has an engine of its
    own: mlapi/predictions/history_writer.py). On an autocommit connection each is one
    round trip, where the ORM session would add BEGIN
    and COMMIT round trips and its unit-of-work bookkeeping. The connection goes back to
    the pool at once; a request whose session also holds one briefly uses two, so the pool
    needs about two connections per concurrent request (the default 5 + 10 overflow).
    Anything that must change several rows together stays on ``db.session``.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.execute(statement, parameters).scalar()
