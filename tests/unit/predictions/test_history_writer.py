"""The history row of a prediction on PostgreSQL: committed before the answer, a batch's rows
in one statement, through connections with ``synchronous_commit=off`` while every
other write keeps synchronous commit (mlapi/predictions/history_writer.py).

The PostgreSQL tests need ``MLAPI_TEST_DATABASE_URL`` (CI sets it) and are skipped without
it, like the rest of the suite's PostgreSQL run.
"""

import os
from contextlib import contextmanager

import psycopg
import pytest
import sqlalchemy as sa

from mlapi.extensions import db
from mlapi.predictions.history_writer import HISTORY_ENGINES, history_writer
from tests.support.settings import TEST_DATABASE_URL
from tests.unit.helpers import ROW, assert_problem, row

PREDICT = "/api/v1/predict"
BATCH = "/api/v1/batch-predict"

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL only with MLAPI_TEST_DATABASE_URL set"
)


@contextmanager
def statements():
    """Every statement sent to the database meanwhile, with the DBAPI connection it ran
    on: ``[(sql, dbapi_connection)]``. Recorded at the driver (psycopg's cursor), since the
    history INSERT does not go through SQLAlchemy's execution layer."""
    sent = []
    execute = psycopg.Cursor.execute

    def record(cursor, query, *args, **kwargs):
        sent.append((str(query), cursor.connection))
        return execute(cursor, query, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(psycopg.Cursor, "execute", record)
        yield sent


def connection_of(sent, prefix: str):
    [connection] = {id(c): c for sql, c in sent if sql.lstrip().startswith(prefix)}.values()
    return connection


def synchronous_commit(dbapi_connection) -> str:
    """The setting on that very connection (idle in its pool once the request is answered)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.fixture
def outsider(app):
    """A connection of nobody's pool: what another host or a report reads."""
    with app.app_context():
        engine = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


def test_a_batch_writes_its_history_in_one_insert(client, auth_headers):
    """On a SQLite file too: tests/unit/test_hot_engine.py."""
    with statements() as sent:
        response = client.post(
            BATCH, json={"samples": [ROW, row(0.1), row(0.2)]}, headers=auth_headers
        )

    assert response.status_code == 200, response.get_json()
    inserts = [sql for sql, _ in sent if sql.lstrip().startswith("INSERT INTO predictions")]
    assert len(inserts) == 1
    assert len(set(response.get_json()["prediction_ids"])) == 3


def test_history_rows_commit_asynchronously_and_every_other_write_synchronously(
    app, client, auth_headers
):
    with statements() as sent:
        answered = client.post(PREDICT, json={"features": ROW}, headers=auth_headers)
        prediction_id = answered.get_json()["prediction_id"]
        feedback = client.post(
            f"/api/v1/predictions/{prediction_id}/feedback",
            json={"actual_value": 1.5},
            headers=auth_headers,
        )
    assert (answered.status_code, feedback.status_code) == (200, 201)

    history = connection_of(sent, "INSERT INTO predictions")
    other = connection_of(sent, "INSERT INTO feedback")
    assert synchronous_commit(history) == "off"
    assert synchronous_commit(other) == "on"
    with app.app_context():
        assert db.engine is not history_writer().engine
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SHOW synchronous_commit")).scalar() == "on"


def test_a_prediction_is_in_the_database_for_everyone_once_it_is_answered(
    client, auth_headers, outsider
):
    single = client.post(PREDICT, json={"features": ROW}, headers=auth_headers).get_json()
    batch = client.post(
        BATCH, json={"samples": [row(0.1), row(0.2)]}, headers=auth_headers
    ).get_json()

    with outsider.connect() as connection:
        stored = dict(
            connection.execute(
                sa.text("SELECT id, prediction FROM predictions WHERE id = ANY(:ids)"),
                {"ids": [single["prediction_id"], *batch["prediction_ids"]]},
            ).all()
        )
    assert stored == {
        single["prediction_id"]: single["prediction"],
        **dict(zip(batch["prediction_ids"], batch["predictions"], strict=True)),
    }


def history_total(client, headers) -> int:
    return client.get("/api/v1/predictions", headers=headers).get_json()["total"]


def test_a_lost_history_connection_answers_503_and_records_nothing(
    app, client, auth_headers, outsider
):
    """The answer is in the process cache; only the history connection is gone (its server
    process terminated, as a failover does): no 200 without the row, and the next request
    gets a new connection."""
    assert client.post(PREDICT, json={"features": ROW}, headers=auth_headers).status_code == 200
    before = history_total(client, auth_headers)
    with app.app_context():
        engine = history_writer().engine
    with engine.connect() as connection:
        pids = [connection.connection.dbapi_connection.info.backend_pid]
    with outsider.connect() as connection:
        connection.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM unnest(:p) AS pid"), {"p": pids}
        )
        connection.commit()

    refused = client.post(PREDICT, json={"features": ROW}, headers=auth_headers)

    assert_problem(refused, 503, "service_unavailable")
    assert history_total(client, auth_headers) == before
    again = client.post(PREDICT, json={"features": ROW}, headers=auth_headers)
    assert again.status_code == 200, again.get_json()
    assert history_total(client, auth_headers) == before + 1


def test_a_history_row_the_database_refuses_answers_500(client, auth_headers, outsider):
    before = history_total(client, auth_headers)
    refuse = "ALTER TABLE predictions ADD CONSTRAINT ck_test_refuse CHECK (false) NOT VALID"
    with outsider.begin() as connection:
        connection.execute(sa.text(refuse))
    try:
        single = client.post(PREDICT, json={"features": ROW}, headers=auth_headers)
        batch = client.post(BATCH, json={"samples": [row(0.1)]}, headers=auth_headers)
    finally:
        with outsider.begin() as connection:
            connection.execute(sa.text("ALTER TABLE predictions DROP CONSTRAINT ck_test_refuse"))

    assert_problem(single, 500, "internal_error")
    assert_problem(batch, 500, "internal_error")
    assert history_total(client, auth_headers) == before


def backend_pids(engine) -> list[int]:
    """The server processes of the pool's idle connections."""
    return [record.dbapi_connection.info.backend_pid for record in engine.pool._pool.queue]


def terminate(outsider, pids: list[int]) -> None:
    with outsider.connect() as connection:
        connection.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM unnest(:p) AS pid"), {"p": pids}
        )
        connection.commit()


def test_a_batch_on_a_lost_history_connection_answers_503_then_the_next_succeeds(
    app, client, auth_headers, outsider
):
    assert client.post(BATCH, json={"samples": [ROW]}, headers=auth_headers).status_code == 200
    before = history_total(client, auth_headers)
    with app.app_context():
        terminate(outsider, backend_pids(history_writer().engine))

    refused = client.post(BATCH, json={"samples": [row(0.1), row(0.2)]}, headers=auth_headers)

    assert_problem(refused, 503, "service_unavailable")
    again = client.post(BATCH, json={"samples": [row(0.1), row(0.2)]}, headers=auth_headers)
    assert again.status_code == 200, again.get_json()
    assert history_total(client, auth_headers) == before + 2


def test_the_history_engine_is_known_to_whoever_closes_it_and_costs_the_app_nothing(
    app, client, auth_headers
):
    """Its connections are checked out without ``Engine.connect``: a test's end closes them
    through ``HISTORY_ENGINES`` (tests/support/apps.py), never the garbage collector (a
    ResourceWarning). And sharing outages puts no connection event on the app's engine,
    whose dispatch would run around every statement it sends."""
    assert client.post(PREDICT, json={"features": ROW}, headers=auth_headers).status_code == 200
    with app.app_context():
        writer = history_writer()
        assert writer.engine in HISTORY_ENGINES
        assert not db.engine.dispatch.engine_disposed  # the one it used to listen to
    [connection] = [record.dbapi_connection for record in writer.engine.pool._pool.queue]
    writer.engine.dispose()
    assert connection.closed


def test_a_forked_worker_opens_its_own_history_connection(app, client, auth_headers):
    assert client.post(PREDICT, json={"features": ROW}, headers=auth_headers).status_code == 200
    with app.app_context():
        engine = history_writer().engine
    [parents] = backend_pids(engine)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through the pipe)
        opened = []
        sa.event.listen(engine, "connect", lambda c, _: opened.append(c.info.backend_pid))
        with app.app_context():  # the app's own pool is not this test's: left to the parent
            db.engine.dispose(close=False)
        status = client.post(PREDICT, json={"features": row(1)}, headers=auth_headers).status_code
        os.write(write, f"{status} {opened}".encode())
        os._exit(0)
    os.close(write)
    _, exit_status = os.waitpid(child, 0)
    with os.fdopen(read) as reported:
        status, opened = reported.read().split(None, 1)
    assert (exit_status, status) == (0, "200")
    assert opened != "[]"
    assert str(parents) not in opened
    assert client.post(PREDICT, json={"features": row(2)}, headers=auth_headers).status_code == 200
    assert backend_pids(engine) == [parents]  # the parent's connection still serves it
