"""Writing the prediction history: committed before the answer, without waiting for the
disk (docs/decisions.md#history-rows-are-committed-before-the-answer).

On PostgreSQL the history rows go through an engine of their own, whose connections start
with ``synchronous_commit=off`` and run each statement in autocommit: one INSERT is one
round trip, and the server commits it (every other connection sees the row, an application
crash loses nothing) before the answer leaves, but does not wait for the WAL to reach the
disk. Only a crash of the PostgreSQL server itself can lose the last ~0.6 s of history
rows. Every other write (users, keys, models, feedback, audit…) goes through ``db`` and
keeps synchronous commit. On a SQLite file the rows go through the hot path's autocommit
engine (mlapi/database.py ``HotEngine``): each INSERT commits on its own, before the answer.

Either way the INSERT is compiled once and sent on the driver's connection
(mlapi/database.py ``DriverInsert``, ``driver_rows``): SQLAlchemy's execution layer cost
more than the statement itself. On PostgreSQL psycopg prepares it on the server once a
connection has sent it five times (its ``prepare_threshold``): from then on the server
neither parses nor plans it again.
"""

import os
import weakref

from flask import Flask, current_app
from sqlalchemy import create_engine, event, exc, insert
from sqlalchemy.engine import Engine, make_url

from ..database import DriverInsert, autocommit_scalar, hot_engine
from ..extensions import ENGINE_OPTIONS, db
from .models import Prediction

EXTENSION = "mlapi.predictions.history"
ASYNCHRONOUS_COMMIT = "-c synchronous_commit=off"

# An in-memory SQLite database only (no engine of its own: the app's pool keeps it).
_INSERT_ONE = insert(Prediction).returning(Prediction.id)
_INSERT_MANY = insert(Prediction).returning(Prediction.id, sort_by_parameter_order=True)
# The PostgreSQL history engines of this process: dropped in a forked child; closed by
# whoever ends an app's life (tests/support/apps.py), since their connections are checked
# out without ``Engine.connect`` and so escape what tracks that.
HISTORY_ENGINES: weakref.WeakSet = weakref.WeakSet()


class HistoryWriter:
    """``engine``: the history engine (PostgreSQL; on a SQLite file the hot engine), or None
    to use the app's pool (an in-memory SQLite database)."""

    def __init__(self, engine: Engine | None):
        self.engine = engine
        self.insert = DriverInsert(Prediction.__table__)
        self.outage_engines: tuple[Engine, ...] = ()

    @classmethod
    def for_app(cls, app: Flask) -> "HistoryWriter":
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        if url.get_backend_name() != "postgresql":
            return cls(hot_engine(app))
        options = {**ENGINE_OPTIONS, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
        connect_args = dict(options.pop("connect_args", {}))
        # Appended to any options the deployment sets; the last -c of a setting wins.
        connect_args["options"] = " ".join(
            filter(None, [connect_args.get("options"), ASYNCHRONOUS_COMMIT])
        )
        # The isolation level is the engine's, set once on each new connection: nothing is
        # set up per request, a checkout is the pool's only cost.
        writer = cls(
            create_engine(url, connect_args=connect_args, isolation_level="AUTOCOMMIT", **options)
        )
        with app.app_context():
            writer.share_outages_with(db.engine)
        return writer

    def share_outages_with(self, other: Engine) -> None:
        """Both engines reach one server: when either finds its connection gone (a restart,
        a failover), both pools are emptied. Otherwise the history pool, idle while every
        request failed earlier on the other engine, would answer the first predictions
        after the outage with a 503 each, on the connections the server closed.

        ``handle_error`` is a dialect event: the app's engine keeps no connection event
        (``engine_disposed`` would be one), whose dispatch would run around each of its
        statements (measured: +150,000 instructions a ``/health`` on PostgreSQL)."""
        self.outage_engines = (self.engine, other)
        event.listen(other, "handle_error", self._on_error)
        HISTORY_ENGINES.add(self.engine)

    def _on_error(self, context) -> None:
        if context.is_disconnect:
            self.empty_pools()

    def empty_pools(self) -> None:
        for engine in self.outage_engines:
            engine.dispose()  # closes the idle connections; those in use close on return

    def insert_one(self, row: dict) -> int:
        """The new row's id, once the row is committed."""
        if self.engine is None:
            return autocommit_scalar(_INSERT_ONE, row)
        [inserted] = self._insert([row])
        return inserted

    def insert_many(self, rows: list[dict]) -> list[int]:
        """The new rows' ids in ``rows``' order, once all of them are committed: one
        statement, so all or none."""
        if self.engine is None:
            ids = db.session.execute(_INSERT_MANY, rows).scalars().all()
            db.session.commit()
            return ids
        return self._insert(rows)

    def _insert(self, rows: list[dict]) -> list[int]:
        try:
            return self.insert.ids(self.engine, rows)
        except exc.DBAPIError as error:
            if error.connection_invalidated:
                self.empty_pools()
            raise


def _drop_inherited_connections() -> None:
    """In a forked child (a gunicorn worker): the parent's connections are the parent's,
    never used nor closed here; the child opens its own."""
    for engine in list(HISTORY_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_drop_inherited_connections)


def init_history(app: Flask) -> HistoryWriter:
    writer = HistoryWriter.for_app(app)
    app.extensions[EXTENSION] = writer
    return writer


def history_writer() -> HistoryWriter:
    return current_app.extensions[EXTENSION]
