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
"""

from functools import partial

from flask import Flask, current_app
from sqlalchemy import create_engine, event, insert
from sqlalchemy.engine import Engine, make_url

from ..database import autocommit_scalar, hot_engine
from ..extensions import ENGINE_OPTIONS, db
from .models import Prediction

EXTENSION = "mlapi.predictions.history"
ASYNCHRONOUS_COMMIT = "-c synchronous_commit=off"

_INSERT_ONE = insert(Prediction).returning(Prediction.id)
# Executed with a list of rows: SQLAlchemy's "insertmanyvalues" sends one multi-row
# INSERT … RETURNING (up to 1000 rows; a batch holds at most 100) with the ids in row order.
_INSERT_MANY = insert(Prediction).returning(Prediction.id, sort_by_parameter_order=True)


class HistoryWriter:
    """``engine``: the history engine (PostgreSQL; on a SQLite file the hot engine), or None
    to use the app's pool (an in-memory SQLite database)."""

    def __init__(self, engine: Engine | None):
        self.engine = engine

    @classmethod
    def for_app(cls, app: Flask) -> "HistoryWriter":
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        if url.get_backend_name() != "postgresql":
            return cls(hot_engine(app))
        options = {**ENGINE_OPTIONS, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
        connect_args = dict(options.pop("connect_args", {}))
        # Appended to any options the deployment sets; the last -c of a setting wins.
        connect_args["options"] = " ".join(
            filter(None, [connect_args.get("options"), ASYNCHRONOUS_COMMIT]))
        # The isolation level is the engine's, set once on each new connection: nothing is
        # set up per request, a checkout is the pool's only cost.
        writer = cls(create_engine(url, connect_args=connect_args,
                                   isolation_level="AUTOCOMMIT", **options))
        with app.app_context():
            writer.share_outages_with(db.engine)
        return writer

    def share_outages_with(self, other: Engine) -> None:
        """Both engines reach one server: when either finds its connection gone (a restart,
        a failover), both pools are emptied. Otherwise the history pool, idle while every
        request failed earlier on the other engine, would answer the first predictions
        after the outage with a 503 each, on the connections the server closed."""
        engines = (self.engine, other)
        for engine in engines:
            event.listen(engine, "handle_error", partial(_empty_pools, engines=engines))

    def insert_one(self, row: dict) -> int:
        """The new row's id, once the row is committed."""
        if self.engine is None:
            return autocommit_scalar(_INSERT_ONE, row)
        with self.engine.connect() as connection:
            return connection.execute(_INSERT_ONE, row).scalar_one()

    def insert_many(self, rows: list[dict]) -> list[int]:
        """The new rows' ids in ``rows``' order, once all of them are committed: one
        statement, so all or none."""
        if self.engine is None:
            ids = db.session.execute(_INSERT_MANY, rows).scalars().all()
            db.session.commit()
            return ids
        with self.engine.connect() as connection:
            return connection.execute(_INSERT_MANY, rows).scalars().all()


def _empty_pools(context, *, engines: tuple[Engine, ...]) -> None:
    if context.is_disconnect:
        for engine in engines:
            engine.dispose()  # closes the idle connections; those in use close on return


def init_history(app: Flask) -> HistoryWriter:
    writer = HistoryWriter.for_app(app)
    app.extensions[EXTENSION] = writer
    return writer


def history_writer() -> HistoryWriter:
    return current_app.extensions[EXTENSION]
