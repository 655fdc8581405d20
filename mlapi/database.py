"""Database tuning that must hold on every connection, and the hot path's connections."""

import os
import sqlite3
from urllib.parse import quote

from flask import Flask, current_app
from sqlalchemy import Table, bindparam, create_engine, event, exc, insert
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

from .extensions import ENGINE_OPTIONS, db

HOT_ENGINE = "mlapi.database.hot"

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

    The hot path sends single statements: the access counter read of every request (while
    PostgreSQL's listener is not connected; ``read_scalar`` on SQLite) and, on an in-memory
    SQLite database, the history insert of a prediction (elsewhere that one has an engine
    of its own: mlapi/predictions/history_writer.py). On an autocommit connection each is
    one round trip, where the ORM session would add BEGIN and COMMIT round trips and its
    unit-of-work bookkeeping. The connection goes back to the pool at once; a request whose
    session also holds one briefly uses two, so the pool needs about two connections per
    concurrent request (the default 5 + 10 overflow). Anything that must change several
    rows together stays on ``db.session``.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.execute(statement, parameters).scalar()


def read_scalar(statement):
    """``autocommit_scalar`` of a SELECT without parameters whose value needs no conversion
    (an integer, a string): the access counter, read by every request on SQLite.

    On a SQLite file it is sent as plain SQL on a connection of the hot engine, without
    SQLAlchemy's execution layer (33 µs where the pool's read took 216 µs,
    docs/performance.md), through ``driver_rows``."""
    hot = current_app.extensions.get(HOT_ENGINE)
    if hot is None:
        return autocommit_scalar(statement)
    sql = hot.plain_sql.get(statement)
    if sql is None:
        sql = hot.plain_sql[statement] = str(
            statement.compile(dialect=hot.engine.dialect, compile_kwargs={"literal_binds": True})
        )
    rows = driver_rows(hot.engine, sql, ())
    return rows[0][0] if rows else None


def driver_rows(engine: Engine, sql: str, parameters) -> list:
    """The rows of one statement sent on the driver's connection (a pooled one of
    ``engine``, whose connections are autocommit: it commits on its own) without
    SQLAlchemy's execution layer, which costs more than the statement on the hot path.

    What that layer would do on a failure is done here: the driver's error is raised as the
    ``sqlalchemy.exc`` error SQLAlchemy would raise (``OperationalError``: a 503;
    ``IntegrityError``: a 500), with ``connection_invalidated`` when the server is gone,
    and the connection is closed, never reused (the next request opens a new one)."""
    dbapi = engine.dialect.loaded_dbapi
    connection: PoolProxiedConnection | None = None
    try:
        connection = engine.raw_connection()  # opening one can fail too: the same errors
        return connection.dbapi_connection.execute(sql, parameters).fetchall()
    except dbapi.Error as error:
        dbapi_connection = connection.dbapi_connection if connection is not None else None
        disconnect = engine.dialect.is_disconnect(error, dbapi_connection, None)
        if connection is not None:
            connection.invalidate(error)
        raise exc.DBAPIError.instance(
            sql,
            None,
            error,
            dbapi.Error,
            hide_parameters=True,
            dialect=engine.dialect,
            connection_invalidated=disconnect,
        ) from error
    finally:
        if connection is not None:
            connection.close()


class DriverInsert:
    """An ``INSERT … RETURNING`` of rows into one table, sent with ``driver_rows``: compiled
    once per dialect, set of columns and number of rows (a batch is one multi-row INSERT),
    its parameters made as SQLAlchemy's execution would make them: each column's bind
    processing (JSON, datetimes, booleans on SQLite…) and the Python-side defaults of the
    columns a row leaves out (scalars, or callables taking no context, as ``utcnow``).

    The ids come back in the rows' order: one statement assigns an integer primary key
    ascending in VALUES order (a SQLite rowid, a PostgreSQL sequence), so the returned ids
    sorted are the rows' ids in order, the assumption SQLAlchemy's own sorted multi-row
    INSERT makes for such a key; the RETURNING rows themselves have no promised order."""

    def __init__(self, table: Table):
        self.table = table
        [self.key] = table.primary_key.columns
        self.plans: dict = {}  # (dialect, columns, row count) -> (sql, positional, entries)

    def _plan(self, dialect, columns: tuple[str, ...], count: int):
        defaults = [
            (c.key, c.default)
            for c in self.table.columns
            if c.default is not None and c.key not in columns
        ]
        sources = {f"{name}_{i}": (i, name, None) for i in range(count) for name in columns}
        sources.update(
            {f"{name}_{i}": (i, name, default) for i in range(count) for name, default in defaults}
        )
        statement = (
            insert(self.table)
            .values(
                [
                    {
                        name: bindparam(f"{name}_{i}", type_=self.table.c[name].type)
                        for name in (*columns, *(name for name, _ in defaults))
                    }
                    for i in range(count)
                ]
            )
            .returning(self.key)
        )
        compiled = statement.compile(dialect=dialect)
        names = compiled.positiontup if compiled.positional else list(sources)
        processors = compiled._bind_processors
        entries = [(name, *sources[name], processors.get(name)) for name in names]
        return str(compiled), compiled.positional, entries

    def ids(self, engine: Engine, rows: list[dict]) -> list[int]:
        """The new rows' ids in ``rows``' order, once the one statement has committed them
        (all or none). Every row has the first row's keys."""
        key = (engine.dialect, tuple(rows[0]), len(rows))
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plans[key] = self._plan(*key)
        sql, positional, entries = plan
        values = []
        for _, i, name, default, process in entries:
            if default is None:
                value = rows[i][name]
            else:
                value = default.arg(None) if default.is_callable else default.arg
            values.append(process(value) if process is not None else value)
        if not positional:
            values = dict(zip((entry[0] for entry in entries), values, strict=True))
        return sorted(row[0] for row in driver_rows(engine, sql, values))


class HotEngine:
    """The hot path's single statements on a SQLite file: the access counter read of every
    request and the history INSERT of every prediction. An engine of its own, whose
    connections are autocommit from the start (nothing is switched per statement, nothing
    rolled back on return), next to the app's.

    A pooled connection, of this engine or the app's, is never used in a process other than
    the one that opened it (a fork), nor on a database file other than the one at the path
    (a file replaced or moved away would otherwise keep answering from its old content):
    the checkout compares both, one ``os.stat``, and opens a new connection instead. This
    engine's fails (a 503) when no database file is there: it opens the file read-write,
    never creates it."""

    def __init__(self, app_engine: Engine, options: dict):
        self.path = app_engine.url.database
        uri = f"file:{quote(self.path)}?mode=rw"
        self.engine = create_engine(
            app_engine.url,
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,
            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
            **options,
        )
        self.plain_sql: dict = {}
        for engine in (self.engine, app_engine):
            event.listen(engine, "connect", self._remember_origin)
            event.listen(engine, "checkout", self._check_origin)
        # Whoever drops the app's connections (tests, an outage) drops these too.
        event.listen(app_engine, "engine_disposed", lambda _engine: self.engine.dispose())

    def _origin(self) -> tuple[int, int, int]:
        found = os.stat(self.path)
        return os.getpid(), found.st_dev, found.st_ino

    def _remember_origin(self, _dbapi_connection, record) -> None:
        try:
            record.info["origin"] = self._origin()
        except OSError:  # not there yet: the app's first start creates it
            record.info["origin"] = None

    def _check_origin(self, _dbapi_connection, record, proxy) -> None:
        try:
            origin = self._origin()
        except OSError:
            origin = None
        remembered = record.info.get("origin")
        if origin == remembered:
            return
        if remembered is not None and remembered[0] != os.getpid():
            # Opened before a fork: the parent's, never to be used nor closed here
            # (https://www.sqlite.org/howtocorrupt.html#fork).
            record.dbapi_connection = proxy.dbapi_connection = None
        raise exc.DisconnectionError("the database file or the process changed")


def init_hot_engine(app: Flask) -> None:
    """A hot engine for a SQLite file; none for an in-memory database (each connection its
    own database: the app's pool keeps it) nor for PostgreSQL."""
    with app.app_context():
        url = db.engine.url
        if (
            url.get_backend_name() != "sqlite"
            or url.database in (None, "", ":memory:")
            or url.query.get("mode") == "memory"
        ):
            return
        options = {**ENGINE_OPTIONS, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
        app.extensions[HOT_ENGINE] = HotEngine(db.engine, options)


def hot_engine(app: Flask) -> Engine | None:
    hot = app.extensions.get(HOT_ENGINE)
    return hot.engine if hot is not None else None
