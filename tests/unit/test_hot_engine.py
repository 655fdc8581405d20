"""The embedded database's hot statements (mlapi/database.py ``HotEngine``): on a SQLite file
the access counter read of every request and the history INSERT of every prediction run on
autocommit connections of their own, kept open. What a user would notice if they went wrong:
a stale answer from a database file that is no longer the one at the path, a 500 instead of
a 503, a forked worker or a second thread sharing a connection."""

import os
import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import event

from mlapi.access_cache import _READ_COUNTER
from mlapi.database import hot_engine, read_scalar
from mlapi.extensions import db
from tests.support.settings import TEST_DATABASE_URL
from tests.unit.helpers import ROW, assert_problem, row

PREDICT = "/api/v1/predict"

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite files only")


def predict(client, headers, features=ROW):
    return client.post(PREDICT, json={"features": features}, headers=headers)


def database_path(app) -> Path:
    with app.app_context():
        return Path(db.engine.url.database)


def history_rows(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT count(*) FROM predictions").fetchone()[0]


def move_away(path: Path) -> None:
    """The database with its WAL files gone from the path, its open connections left open."""
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        if (path.parent / name).exists():
            (path.parent / name).rename(path.parent / (name + ".away"))


def test_a_warm_prediction_sends_two_statements_and_takes_nothing_from_the_apps_pool(
    app, client, auth_headers
):
    for warm_up in range(2):
        assert predict(client, auth_headers, row(warm_up)).status_code == 200
    sent, checkouts = [], []
    with app.app_context():
        app_engine = db.engine
    hot = hot_engine(app)
    hot.dispose()  # every connection from here on is a new, traced one

    def trace(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(sent.append)

    def checkout(*_args):
        checkouts.append(1)

    event.listen(hot, "connect", trace)
    event.listen(app_engine, "checkout", checkout)
    try:
        assert predict(client, auth_headers, row(7)).status_code == 200  # opens, traced
        sent.clear()
        assert predict(client, auth_headers, row(8)).status_code == 200
    finally:
        event.remove(hot, "connect", trace)
        event.remove(app_engine, "checkout", checkout)
    # No isolation level switched, nothing rolled back, no BEGIN/COMMIT: the counter, the row.
    assert [sql.split(None, 3)[:3] for sql in sent] == [
        ["SELECT", "change_counters.value", "FROM"],
        ["INSERT", "INTO", "predictions"],
    ]
    assert checkouts == []


def test_a_batch_writes_its_history_in_one_insert_with_the_ids_in_order(app, client, auth_headers):
    hot = hot_engine(app)
    hot.dispose()
    sent = []

    def trace(connection, _record):
        connection.set_trace_callback(sent.append)

    event.listen(hot, "connect", trace)
    try:
        answered = client.post(
            "/api/v1/batch-predict",
            headers=auth_headers,
            json={"samples": [row(0.1), row(0.2), row(0.3)]},
        )
    finally:
        event.remove(hot, "connect", trace)
    assert answered.status_code == 200, answered.get_json()
    assert sum(sql.startswith("INSERT INTO predictions") for sql in sent) == 1
    with closing(sqlite3.connect(database_path(app))) as connection:
        stored = dict(connection.execute("SELECT id, prediction FROM predictions"))
    body = answered.get_json()
    assert [float(stored[i]) for i in body["prediction_ids"]] == body["predictions"]


def test_a_database_file_replaced_under_the_app_is_read_anew(app, client, auth_headers, user):
    """An operator puts another database at the path (a restore) while the app runs: the
    counter is read from the new one, not from what the open connections still see, and
    the caller deactivated there gets no answer from the old file."""
    assert predict(client, auth_headers).status_code == 200
    path = database_path(app)
    restored = path.with_name("restored.db")
    with (
        closing(sqlite3.connect(path)) as source,
        closing(sqlite3.connect(restored, isolation_level=None)) as copy,
    ):
        source.backup(copy)
        copy.execute("UPDATE users SET is_active = 0 WHERE id = ?", (user.id,))
        moved = copy.execute(
            "UPDATE change_counters SET value = value + 41 WHERE name = 'access' RETURNING value"
        ).fetchone()[0]
    move_away(path)
    restored.rename(path)
    with app.app_context():
        assert read_scalar(_READ_COUNTER) == moved
    # The session's pooled connections, open on the old file, are not used either.
    assert_problem(predict(client, auth_headers), 401, "account_inactive")


def test_a_database_file_removed_under_the_app_is_a_503_and_no_new_file(app, client, auth_headers):
    assert predict(client, auth_headers).status_code == 200
    path = database_path(app)
    move_away(path)
    assert_problem(predict(client, auth_headers), 503, "service_unavailable")
    assert not path.exists()  # opened read-write, never created empty
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        away = path.parent / (name + ".away")
        if away.exists():
            shutil.move(away, path.parent / name)
    assert predict(client, auth_headers).status_code == 200  # back: no restart needed


def test_a_forked_worker_opens_its_own_connection_and_the_parent_keeps_its(
    app, client, auth_headers
):
    assert predict(client, auth_headers).status_code == 200  # the parent's connection is open
    path = database_path(app)
    before = history_rows(path)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through the pipe)
        opened = []
        event.listen(hot_engine(app), "connect", lambda *_: opened.append(1))
        status = predict(client, auth_headers, row(1)).status_code
        os.write(write, f"{status} {len(opened)}".encode())
        os._exit(0)
    os.close(write)
    _, exit_status = os.waitpid(child, 0)
    with os.fdopen(read) as reported:
        status, opened = reported.read().split()
    assert (exit_status, status, opened) == (0, "200", "1")
    assert predict(client, auth_headers, row(2)).status_code == 200
    assert history_rows(path) == before + 2


def test_threads_predicting_at_once_each_get_their_row_committed(app, auth_headers):
    path = database_path(app)
    before = history_rows(path)
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def serve(offset: int) -> None:
        client = app.test_client()
        barrier.wait()
        for n in range(5):
            statuses.append(predict(client, auth_headers, row(offset * 10 + n)).status_code)

    workers = [threading.Thread(target=serve, args=(offset,)) for offset in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert statuses == [200] * 20
    assert history_rows(path) == before + 20


def test_an_in_memory_database_keeps_the_apps_pool(app_config):
    from mlapi import create_app

    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert hot_engine(app) is None
    with app.app_context():
        db.engine.dispose()


def test_every_hot_connection_runs_the_embedded_databases_pragmas(app, client, auth_headers):
    assert predict(client, auth_headers).status_code == 200
    with hot_engine(app).connect() as connection:
        raw = connection.connection.dbapi_connection
        found = [
            raw.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        ]
    assert found == ["wal", 5000, 1]
