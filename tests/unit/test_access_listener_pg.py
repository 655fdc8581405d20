"""The access listener against a real PostgreSQL server (mlapi/access_listener.py): the
NOTIFY leaves with the commit only, a change made through another connection reaches this
worker's cache through the listener, and a listener whose backend is terminated makes every
request read the counter until it reconnects and drops everything.

The listener runs without its thread here: the test calls ``run_once`` (one probe and the
notifications it brings) and its clock is frozen, so "connected" means "the last probe
answered". Counter reads are counted, not timed. Needs ``MLAPI_TEST_DATABASE_URL`` (CI sets
it); skipped without it, like the rest of the suite's PostgreSQL run.
"""

import psycopg
import pytest
import sqlalchemy as sa

from mlapi import create_app
from mlapi.access_cache import CHANNEL, ChangeCounter
from mlapi.access_listener import EXTENSION_KEY, conninfo, listener_for
from mlapi.auth.models import User
from mlapi.extensions import db
from tests.support.settings import TEST_DATABASE_URL
from tests.unit.helpers import assert_problem

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL only with MLAPI_TEST_DATABASE_URL set"
)

ME = "/api/v1/users/me"
GUARD = 200  # probes (of up to 50 ms each) before a test gives up waiting for a notification


@pytest.fixture
def statements(app):
    """The first word and table of the statements this app's engine sends."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    yield sent
    sa.event.remove(engine, "before_cursor_execute", record)


def counter_reads(sent) -> int:
    return sum(1 for s in sent if s.startswith("SELECT") and "FROM change_counters" in s)


def loads(sent, table: str) -> int:
    return sum(1 for s in sent if s.startswith("SELECT") and f"FROM {table}" in s)


@pytest.fixture
def listener(app):
    """This worker's listener, connected, consulted by the cache, driven by the test."""
    listener = listener_for(app, clock=lambda: 0.0)
    cache = app.extensions["mlapi.access_cache"]
    assert listener.run_once()
    cache.listener = listener
    yield listener
    cache.listener = None
    if listener.connection is not None:
        listener.connection.close()


def counter(app) -> int:
    """The counter, read through a connection of its own (not a read the app made)."""
    with psycopg.connect(conninfo(app.config["SQLALCHEMY_DATABASE_URI"])) as connection:
        return connection.execute(
            "SELECT value FROM change_counters WHERE name = 'access'"
        ).fetchone()[0]


def probe_until_applied(app, listener, value: int) -> None:
    """Probe until the listener has applied the notification of ``value``."""
    cache = app.extensions["mlapi.access_cache"]
    for _ in range(GUARD):
        assert listener.run_once()
        if cache._value == value:
            return
    pytest.fail(f"the notification of {value} never came")


def warm(client, headers) -> None:
    for _ in range(2):
        assert client.get(ME, headers=headers).status_code == 200


def test_the_notify_leaves_with_the_commit_never_with_a_rollback(app, user):
    url = conninfo(app.config["SQLALCHEMY_DATABASE_URI"])
    with psycopg.connect(url, autocommit=True) as watcher:
        watcher.execute(f"LISTEN {CHANNEL}")
        with app.app_context():
            db.session.get(User, user.id).is_active = False
            db.session.flush()  # the counter moved and NOTIFY was sent, in the transaction
            db.session.rollback()
            db.session.get(User, user.id).role = "admin"
            db.session.commit()
            committed = db.session.get(ChangeCounter, "access").value
            db.session.remove()
        with psycopg.connect(url, autocommit=True) as other:
            other.execute("SELECT pg_notify(%s, 'end')", (CHANNEL,))  # a marker, sent after
        received = []
        for notification in watcher.notifies(timeout=10):
            if notification.payload == "end":
                break
            received.append(notification.payload)
    assert received == [str(committed)]


def test_a_change_made_through_another_connection_reaches_the_cache_by_notification(
    app, client, other_host, listener, statements, auth_headers, admin_headers, user
):
    warm(client, auth_headers)
    statements.clear()
    assert client.get(ME, headers=auth_headers).status_code == 200
    assert counter_reads(statements) == 0
    assert loads(statements, "users") == 0

    assert (
        other_host.patch(
            f"/api/v1/admin/users/{user.id}", json={"is_active": False}, headers=admin_headers
        ).status_code
        == 200
    )
    probe_until_applied(app, listener, counter(app))
    assert_problem(client.get(ME, headers=auth_headers), 401, "account_inactive")
    assert counter_reads(statements) == 0


def test_a_terminated_listener_means_a_counter_read_per_request_until_it_reconnects(
    app, client, other_host, listener, statements, tokens, auth_headers
):
    warm(client, auth_headers)
    with psycopg.connect(conninfo(app.config["SQLALCHEMY_DATABASE_URI"]), autocommit=True) as admin:
        assert admin.execute(
            "SELECT pg_terminate_backend(%s, 5000)", (listener.connection.info.backend_pid,)
        ).fetchone()[0]
    assert not listener.run_once()  # the probe finds the connection gone
    assert not listener.connected()

    statements.clear()
    for _ in range(3):
        assert client.get(ME, headers=auth_headers).status_code == 200
    assert counter_reads(statements) == 3  # one per request, as without a listener
    # A logout elsewhere while the listener is away: the next request's read sees it.
    assert other_host.post("/api/v1/auth/logout", headers=tokens.headers).status_code == 204
    assert_problem(client.get(ME, headers=auth_headers), 401, "token_revoked")
    statements.clear()
    assert_problem(client.get(ME, headers=auth_headers), 401, "token_revoked")
    assert loads(statements, "revoked_logins") == 0  # the revocation is cached

    assert listener.run_once()  # reconnected: LISTEN, then the counter read, then a full drop
    statements.clear()
    assert_problem(client.get(ME, headers=auth_headers), 401, "token_revoked")
    assert counter_reads(statements) == 0
    assert loads(statements, "revoked_logins") == 1  # nothing was kept across the reconnection


def test_the_first_request_of_a_process_starts_its_listener_thread(app_config):
    app = create_app({**app_config, "ACCESS_LISTENER": True})
    assert EXTENSION_KEY not in app.extensions  # not in create_app: a fork would lose it
    try:
        assert app.test_client().get("/livez").status_code == 200
        listener = app.extensions[EXTENSION_KEY]
        assert listener.thread.is_alive()
        assert app.extensions["mlapi.access_cache"].listener is listener
        for _ in range(GUARD):  # its first probes
            if listener.connected():
                break
            listener.stopping.wait(0.05)
        else:
            pytest.fail("the listener thread never connected")
    finally:
        app.extensions[EXTENSION_KEY].stop(timeout=10)
        with app.app_context():
            db.engine.dispose()
    assert not listener.thread.is_alive()
    assert listener.connection is None


def test_a_bump_rolled_back_with_its_savepoint_does_not_hide_the_next_change(
    app, client, other_host, listener, tokens, user
):
    """The counter value a rolled-back savepoint took is taken again by the next change
    (here a logout elsewhere): that change's notification must still empty the cache."""
    probe_until_applied(app, listener, counter(app))  # the sign-in's own notifications
    taken = counter(app) + 1
    with app.app_context():
        savepoint = db.session.begin_nested()
        db.session.get(User, user.id).role = "admin"
        db.session.flush()  # the counter moved, inside the savepoint only
        savepoint.rollback()
        db.session.commit()
        db.session.remove()
    warm(client, tokens.headers)
    assert other_host.post("/api/v1/auth/logout", headers=tokens.headers).status_code == 204
    assert counter(app) == taken
    probe_until_applied(app, listener, taken)
    assert_problem(client.get(ME, headers=tokens.headers), 401, "token_revoked")
