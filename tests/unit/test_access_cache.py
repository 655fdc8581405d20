"""The access cache: callers, keys, revocations and the default model are cached per
process, and a change made anywhere (another worker or host: here a second app on the same
database) acts on the very next request, because it moves the counter every request reads."""

import threading

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from mlapi.extensions import db
from mlapi.predictions.history_writer import history_writer
from tests.unit.helpers import ROW, assert_problem

ME = "/api/v1/users/me"
PREDICT = "/api/v1/predict"


@pytest.fixture
def warm(client):
    """Make a request with these headers on this host, so its cache holds the caller."""

    def warm(headers):
        assert client.get(ME, headers=headers).status_code == 200
        assert client.get(ME, headers=headers).status_code == 200

    return warm


def test_a_deactivation_on_another_host_acts_on_the_next_request(
    client, other_host, auth_headers, user, admin_headers, warm
):
    warm(auth_headers)
    changed = other_host.patch(
        f"/api/v1/admin/users/{user.id}", json={"is_active": False}, headers=admin_headers
    )
    assert changed.status_code == 200
    assert_problem(client.get(ME, headers=auth_headers), 401, "account_inactive")


def test_a_role_change_on_another_host_acts_on_the_next_request(
    client, other_host, auth_headers, user, admin_headers, warm
):
    warm(auth_headers)
    assert client.get("/api/v1/admin/users", headers=auth_headers).status_code == 403
    other_host.patch(
        f"/api/v1/admin/users/{user.id}", json={"role": "admin"}, headers=admin_headers
    )
    assert client.get("/api/v1/admin/users", headers=auth_headers).status_code == 200


def test_a_logout_on_another_host_acts_on_the_next_request(client, other_host, tokens, warm):
    warm(tokens.headers)
    assert other_host.post("/api/v1/auth/logout", headers=tokens.headers).status_code == 204
    assert_problem(client.get(ME, headers=tokens.headers), 401, "token_revoked")


def test_a_key_deleted_on_another_host_stops_at_once(client, other_host, auth_headers, warm):
    created = client.post(
        "/api/v1/auth/api-keys", json={"name": "job"}, headers=auth_headers
    ).get_json()
    key_headers = {"X-API-Key": created["key"]}
    warm(key_headers)
    assert (
        other_host.delete(
            f"/api/v1/auth/api-keys/{created['id']}", headers=auth_headers
        ).status_code
        == 204
    )
    assert_problem(client.get(ME, headers=key_headers), 401, "api_key_invalid")


def test_a_new_default_model_chosen_on_another_host_answers_next(
    client, other_host, auth_headers, admin_headers, upload_model
):
    assert (
        client.post(PREDICT, json={"features": ROW}, headers=auth_headers).get_json()["model_name"]
        == "diabetes-linear"
    )
    record = upload_model(admin_headers, "sales", visibility="public")
    chosen = other_host.put(
        "/api/v1/admin/default-model", json={"model_id": record["id"]}, headers=admin_headers
    )
    assert chosen.status_code == 200, chosen.get_json()
    answer = client.post(PREDICT, json={"features": ROW}, headers=auth_headers).get_json()
    assert (answer["model_id"], answer["model_name"]) == (record["id"], "sales")


@pytest.fixture
def statements(app):
    """The SQL statements the test's app sends, as each driver connection runs them, on every
    engine (the app's, the history engine, the hot path's): the counter read and the history
    INSERT leave SQLAlchemy's execution layer (mlapi/database.py ``read_scalar``,
    ``DriverInsert``), so its events would not see them. SQLite: the connection's trace
    callback; PostgreSQL: a psycopg cursor class that notes each statement it executes."""
    sent: list[str] = []
    with app.app_context():
        engines = {db.engine, history_writer().engine or db.engine}

    def record(sql) -> None:
        sent.append(str(sql).split(None, 1)[0].upper())

    class NotingCursor(psycopg.Cursor):
        def execute(self, query, *args, **kwargs):
            record(query)
            return super().execute(query, *args, **kwargs)

    def trace(dbapi_connection, _record):
        if isinstance(dbapi_connection, psycopg.Connection):
            dbapi_connection.cursor_factory = NotingCursor
        else:
            dbapi_connection.set_trace_callback(record)

    for engine in engines:
        engine.dispose()  # every connection from here on is a traced new one
    event.listen(Engine, "connect", trace)
    yield sent
    event.remove(Engine, "connect", trace)


@pytest.mark.parametrize("credential", ["token", "key"])
def test_a_warm_prediction_reads_one_row_and_writes_its_history(
    client, auth_headers, statements, credential
):
    headers = auth_headers
    if credential == "key":
        created = client.post(
            "/api/v1/auth/api-keys", json={"name": "job"}, headers=auth_headers
        ).get_json()
        headers = {"X-API-Key": created["key"]}
    for warm_up in range(2):
        client.post(PREDICT, json={"features": [v + warm_up for v in ROW]}, headers=headers)
    statements.clear()
    assert client.post(PREDICT, json={"features": ROW}, headers=headers).status_code == 200
    # The change counter, then the history row: the caller, the revocation check, the key
    # and the default model all came from the cache.
    assert [s for s in statements if s == "SELECT"] == ["SELECT"]
    assert "INSERT" in statements


def test_recording_a_keys_last_use_does_not_empty_the_cache(app, client, auth_headers):
    from mlapi.access_cache import ChangeCounter

    created = client.post(
        "/api/v1/auth/api-keys", json={"name": "job"}, headers=auth_headers
    ).get_json()
    with app.app_context():
        before = db.session.get(ChangeCounter, "access").value
    assert client.get(ME, headers={"X-API-Key": created["key"]}).status_code == 200
    with app.app_context():
        assert db.session.get(ChangeCounter, "access").value == before


def test_a_revocation_check_racing_a_logout_is_not_kept(app, client, tokens, monkeypatch):
    """The fill reads "not revoked", then the logout commits (and empties this worker's
    cache) before the fill stores its answer: that answer is discarded, not stored."""
    cache = app.extensions["mlapi.access_cache"]
    fill = cache.cached
    logouts = []

    def cached(space, key, load):
        if space != "revoked" or logouts:
            return fill(space, key, load)

        def load_then_log_out():
            answer = load()
            logouts.append("started")
            # Another request of this worker (a thread and client of its own, as under a
            # threaded server).
            logout = threading.Thread(
                target=lambda: logouts.append(
                    app.test_client()
                    .post("/api/v1/auth/logout", headers=tokens.headers)
                    .status_code
                )
            )
            logout.start()
            logout.join()
            return answer

        return fill(space, key, load_then_log_out)

    monkeypatch.setattr(cache, "cached", cached)
    assert client.get(ME, headers=tokens.headers).status_code == 200  # checked before the logout
    assert logouts == ["started", 204]
    assert_problem(client.get(ME, headers=tokens.headers), 401, "token_revoked")


def test_a_bulk_update_of_a_watched_model_empties_the_cache(app, client, auth_headers, user, warm):
    """Statements that bypass the ORM's flush bump the counter too."""
    from sqlalchemy import update

    from mlapi.auth.models import User

    warm(auth_headers)
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(is_active=False))
        db.session.commit()
    assert_problem(client.get(ME, headers=auth_headers), 401, "account_inactive")
