"""The history INSERT sent on the driver's connection (mlapi/database.py ``DriverInsert``,
``driver_rows``): what it stores must be what SQLAlchemy's own execution of the same rows
stores (bind processing, Python-side defaults), a batch is one statement whose ids come
back in the rows' order, and a failure is SQLAlchemy's error, its connection not reused."""

import sqlite3
from datetime import datetime

import pytest
import sqlalchemy as sa

from mlapi.database import DriverInsert, driver_rows

MADE = datetime(2026, 12, 7, 13, 0, 0, 123456)
metadata = sa.MetaData()
THINGS = sa.Table(
    "things",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("payload", sa.JSON),
    sa.Column("flag", sa.Boolean, default=True),
    sa.Column("size", sa.Integer, default=7),
    sa.Column("made", sa.DateTime, default=lambda: MADE),
)


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'things.db'}", isolation_level="AUTOCOMMIT")
    metadata.create_all(engine)
    engine.dispose()  # every connection from here on is a new one
    yield engine
    engine.dispose()


def stored(engine) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.exec_driver_sql(
                "SELECT payload, flag, size, made FROM things ORDER BY id"
            )
        ]


def test_a_row_is_stored_as_sqlalchemys_execution_would_store_it(engine):
    rows = [{"payload": None, "flag": False}, {"payload": {"a": [1.5]}, "flag": True}]
    with engine.connect() as connection:
        expected = connection.execute(THINGS.insert().returning(THINGS.c.id), rows).all()
    by_sqlalchemy = stored(engine)

    ids = DriverInsert(THINGS).ids(engine, rows)

    assert stored(engine)[len(expected) :] == by_sqlalchemy  # JSON null, booleans, defaults
    assert ids == [len(expected) + 1, len(expected) + 2]


def test_a_batch_is_one_statement_and_its_ids_come_in_the_rows_order(engine):
    sent = []
    sa.event.listen(
        engine, "connect", lambda connection, _: connection.set_trace_callback(sent.append)
    )
    insert = DriverInsert(THINGS)
    rows = [{"payload": n} for n in range(5)]

    ids = insert.ids(engine, rows)

    assert [sql.split(None, 2)[:2] for sql in sent] == [["INSERT", "INTO"]]
    with engine.connect() as connection:
        found = dict(connection.exec_driver_sql("SELECT id, payload FROM things").all())
    assert [found[i] for i in ids] == [0, 1, 2, 3, 4]  # JSON text, numeric affinity
    assert insert.ids(engine, rows[:1]) == [6]  # another count, compiled once more
    assert len(insert.plans) == 2


def test_a_failing_statement_is_sqlalchemys_error_and_its_connection_is_dropped(engine):
    opened = []
    sa.event.listen(engine, "connect", lambda *_: opened.append(1))
    with pytest.raises(sa.exc.IntegrityError) as raised:
        driver_rows(engine, "INSERT INTO things (id, payload) VALUES (1, '1'), (1, '2')", ())
    assert isinstance(raised.value.orig, sqlite3.IntegrityError)
    assert not raised.value.connection_invalidated
    assert driver_rows(engine, "SELECT count(*) FROM things", ()) == [(0,)]  # all or none
    assert opened == [1, 1]  # the failed one was not given to the next statement


def test_a_database_that_cannot_be_opened_is_an_operational_error(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'things.db'}")
    with pytest.raises(sa.exc.OperationalError):
        driver_rows(engine, "SELECT 1", ())
    engine.dispose()
