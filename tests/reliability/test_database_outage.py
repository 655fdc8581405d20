"""The database goes away while the app is serving, then comes back.

Every endpoint that needs it answers 503 ``service_unavailable`` (a problem, never a 500
or a traceback, never a 200 for a prediction whose history row was not written), ``/health``
and ``/readyz`` say so, ``/livez`` stays up, and once the database is back the very next
requests succeed with no restart.

The outage is real, not a mock of mlapi: on SQLite the app's connections are dropped (as a
restart of the host's disk would) and the database file is moved away with a directory put
in its place, so no connection can open it; on PostgreSQL (``MLAPI_TEST_DATABASE_URL``) the
server stops accepting connections to the database (``ALLOW_CONNECTIONS false``) and
terminates the app's open ones (``pg_terminate_backend``), as a failover does. A database
that was never there at start is covered by tests/unit/ops/test_health.py.
"""

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from mlapi.extensions import db
from mlapi.predictions.history_writer import history_writer
from tests.unit.helpers import ROW, assert_problem, row

PREDICT = "/api/v1/predict"
LOGIN = "/api/v1/auth/login"
HEALTH_KEYS = {"status", "database", "cache", "version", "default_model"}


class Outage:
    """Takes the app's database away for real (``down``) and brings it back (``up``)."""

    def __init__(self, app):
        self.app = app
        self.url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        self.backends: set[int] = set()  # PostgreSQL: the app's server processes
        with app.app_context():
            self.engine = db.engine
            # PostgreSQL: the history rows' engine (mlapi/predictions/history_writer.py).
            self.engines = [e for e in (db.engine, history_writer().engine) if e is not None]
        if self.url.get_backend_name() != "sqlite":
            for engine in self.engines:  # from here on, every connection of the app is recorded
                engine.dispose()
                sa.event.listen(engine, "connect", self._remember_backend)

    def _remember_backend(self, dbapi_connection, _record) -> None:
        self.backends.add(dbapi_connection.info.backend_pid)

    @contextmanager
    def _server(self):
        admin = sa.create_engine(
            self.url.set(database="postgres"),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        try:
            with admin.connect() as connection:
                yield connection
        finally:
            admin.dispose()

    def _sqlite_files(self) -> list[Path]:
        main = Path(self.url.database)
        return [main, *(main.with_name(main.name + suffix) for suffix in ("-wal", "-shm"))]

    def down(self) -> None:
        if self.url.get_backend_name() == "sqlite":
            self.engine.dispose()
            for path in self._sqlite_files():
                if path.exists():
                    path.rename(path.with_name(path.name + ".away"))
            self._sqlite_files()[0].mkdir()  # opening it now fails, and creates nothing
            return
        with self._server() as server:
            server.execute(
                sa.text(f'ALTER DATABASE "{self.url.database}" WITH ALLOW_CONNECTIONS false')
            )
            server.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(:pids)"
                ),
                {"pids": list(self.backends)},
            )

    def up(self) -> None:
        if self.url.get_backend_name() == "sqlite":
            main = self._sqlite_files()[0]
            if main.is_dir():
                shutil.rmtree(main)
            for path in self._sqlite_files():
                away = path.with_name(path.name + ".away")
                if away.exists():
                    away.rename(path)
            return
        with self._server() as server:
            server.execute(
                sa.text(f'ALTER DATABASE "{self.url.database}" WITH ALLOW_CONNECTIONS true')
            )

    def close(self) -> None:
        if self.url.get_backend_name() != "sqlite":
            for engine in self.engines:
                sa.event.remove(engine, "connect", self._remember_backend)


@pytest.fixture
def outage(app):
    """The switch for the test's database; it is always back when the test ends."""
    switch = Outage(app)
    try:
        yield switch
    finally:
        switch.up()
        switch.close()


def predict(client, headers, features=ROW):
    return client.post(PREDICT, json={"features": features}, headers=headers)


def history_total(client, headers) -> int:
    response = client.get("/api/v1/predictions", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["total"]


def assert_service_unavailable(response) -> None:
    body = assert_problem(response, 503, "service_unavailable")
    text = response.get_data(as_text=True).lower()
    for leak in ("sqlite", "psycopg", "select ", "insert ", "traceback", "operationalerror"):
        assert leak not in text, body


def test_every_kind_of_request_is_service_unavailable_while_the_database_is_down(
    client, user, auth_headers, upload_model, outage
):
    model = upload_model(auth_headers, "churn", kind="classifier")
    assert predict(client, auth_headers).status_code == 200  # warm: estimator and caches
    model_predict = f"/api/v1/models/{model['id']}/predict"

    outage.down()
    answers = {
        "predict": predict(client, auth_headers),
        "batch": client.post(
            "/api/v1/batch-predict", json={"samples": [ROW]}, headers=auth_headers
        ),
        "model predict": client.post(
            model_predict, json={"features": [5.1, 3.5, 1.4, 0.2]}, headers=auth_headers
        ),
        "history": client.get("/api/v1/predictions", headers=auth_headers),
        "models": client.get("/api/v1/models", headers=auth_headers),
        "me": client.get("/api/v1/users/me", headers=auth_headers),
        "login": client.post(LOGIN, json={"username": user.username, "password": user.password}),
    }

    for name, response in answers.items():
        assert response.status_code == 503, (name, response.get_data(as_text=True))
        assert_service_unavailable(response)


def test_a_prediction_is_never_acknowledged_without_its_history_row(client, auth_headers, outage):
    """The estimator and the answer are in memory, only the history insert needs the
    database: the answer must still be withheld."""
    assert predict(client, auth_headers).status_code == 200
    before = history_total(client, auth_headers)

    outage.down()
    assert_service_unavailable(predict(client, auth_headers))  # the cached answer, unsaved
    outage.up()

    assert history_total(client, auth_headers) == before


def test_health_and_readiness_report_the_outage_and_liveness_does_not(client, outage):
    assert client.get("/health").status_code == 200

    outage.down()
    health, ready, live = client.get("/health"), client.get("/readyz"), client.get("/livez")

    assert health.status_code == 503
    assert health.mimetype == "application/json"  # plain JSON for dashboards, not a problem
    body = health.get_json()
    assert set(body) == HEALTH_KEYS | {"reason"}  # a 503 says why
    assert (body["status"], body["database"]) == ("degraded", "unavailable")
    assert ready.status_code == 503
    assert ready.get_json()["status"] == "not_ready"
    assert "database" in ready.get_json()["reason"]
    assert (live.status_code, live.get_json()) == (200, {"status": "ok"})


def test_the_app_recovers_when_the_database_returns_without_a_restart(
    client, user, auth_headers, outage
):
    assert predict(client, auth_headers).status_code == 200
    before = history_total(client, auth_headers)

    outage.down()
    for features in (ROW, row(0.5)):
        assert predict(client, auth_headers).status_code == 503
        assert predict(client, auth_headers, features).status_code == 503
    assert client.get("/health").status_code == 503
    outage.up()

    health = client.get("/health").get_json()
    assert (health["status"], health["database"]) == ("ok", "ok")
    assert client.get("/readyz").get_json() == {"status": "ready"}
    answered = predict(client, auth_headers, row(0.5))
    assert answered.status_code == 200, answered.get_json()
    assert (
        client.get(
            f"/api/v1/predictions/{answered.get_json()['prediction_id']}", headers=auth_headers
        ).status_code
        == 200
    )
    assert history_total(client, auth_headers) == before + 1  # none of the refused ones
    signed_in = client.post(LOGIN, json={"username": user.username, "password": user.password})
    assert signed_in.status_code == 200


def test_a_second_outage_is_handled_like_the_first(client, auth_headers, outage):
    """The recovery leaves nothing behind (a poisoned pool or session) that breaks the
    handling of the next outage."""
    for _ in range(2):
        outage.down()
        assert_service_unavailable(predict(client, auth_headers))
        outage.up()
        assert predict(client, auth_headers).status_code == 200


def test_a_database_with_no_free_connection_is_service_unavailable(configured_app, request):
    """Every connection of the pool busy (slow queries, stuck transactions): after the
    pool's timeout the caller gets 503, not 500, and once connections are free again the
    next request is served."""
    app = configured_app(
        SQLALCHEMY_ENGINE_OPTIONS={
            "hide_parameters": True,
            "pool_size": 2,
            "max_overflow": 0,
            "pool_timeout": 0.2,
        }
    )
    client, headers = app.test_client(), request.getfixturevalue("auth_headers")
    with app.app_context():
        busy = [db.engine.connect() for _ in range(2)]

    assert_service_unavailable(predict(client, headers))
    for connection in busy:
        connection.close()

    assert predict(client, headers).status_code == 200
