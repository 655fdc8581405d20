"""A database nobody has migrated yet, with ``MLAPI_AUTO_MIGRATE=false`` as in production.

The service says so wherever an operator or a client looks (``/health``, ``/readyz``, a 503
on every API call, never a 500), in words that say what to do (run ``flask db upgrade``),
and comes up by itself once the schema is there, with no restart. On SQLite always, and on
PostgreSQL too when the suite runs against it (``MLAPI_TEST_DATABASE_URL``), where a
missing table is a different error (``ProgrammingError``) that used to answer 500.
"""

import pytest
from flask_jwt_extended import create_access_token

from tests.support.servers import PostgresDatabases
from tests.support.settings import TEST_DATABASE_URL
from tests.support.users import bearer
from tests.unit.helpers import ROW, assert_problem

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not TEST_DATABASE_URL, reason="PostgreSQL only with MLAPI_TEST_DATABASE_URL set"
        ),
    ),
]
SAY_UPGRADE = "the database has no schema yet: run `flask db upgrade`"
NEW_USER = {
    "username": "alice",
    "email": "alice@example.com",
    "password": "correct-horse-battery-staple",
}


@pytest.fixture(params=BACKENDS)
def fresh_url(request, tmp_path, worker_id):
    """The URL of an empty database: reachable, no schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    databases = PostgresDatabases(TEST_DATABASE_URL, f"{worker_id}_no_schema")
    try:
        yield databases.create()
    finally:
        databases.drop_all()


@pytest.fixture
def unmigrated(configured_app, fresh_url):
    return configured_app(SQLALCHEMY_DATABASE_URI=fresh_url, AUTO_MIGRATE=False)


def flask_db_upgrade(app) -> None:
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_health_is_degraded_and_says_to_run_flask_db_upgrade(unmigrated):
    response = unmigrated.test_client().get("/health")

    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["database"]) == ("degraded", "no_schema")
    assert body["reason"] == SAY_UPGRADE
    assert body["default_model"] is None


def test_readyz_says_to_run_flask_db_upgrade(unmigrated):
    response = unmigrated.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "not_ready", "reason": SAY_UPGRADE}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/auth/register", NEW_USER),
        ("post", "/api/v1/auth/login", {"username": "alice", "password": "whatever-pass"}),
        ("post", "/api/v1/predict", {"features": ROW}),
        ("get", "/api/v1/models", None),
        ("get", "/api/v1/users/me", None),
    ],
    ids=["register", "login", "predict", "models", "me"],
)
def test_every_api_call_is_service_unavailable_saying_what_to_run(unmigrated, method, path, body):
    with unmigrated.app_context():
        token = create_access_token(identity="2")
    client = unmigrated.test_client()

    response = getattr(client, method)(path, json=body, headers=bearer(token))

    problem = assert_problem(response, 503, "service_unavailable")
    assert "flask db upgrade" in problem["detail"]


def test_the_service_comes_up_after_flask_db_upgrade_without_a_restart(unmigrated):
    client = unmigrated.test_client()
    assert_problem(client.post("/api/v1/auth/register", json=NEW_USER), 503, "service_unavailable")

    flask_db_upgrade(unmigrated)

    assert client.post("/api/v1/auth/register", json=NEW_USER).status_code == 201
    health = client.get("/health")
    assert health.status_code == 200
    assert health.get_json()["default_model"]["name"] == "diabetes-linear"
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_readiness_alone_brings_the_service_up_after_the_upgrade(unmigrated):
    """A balancer sends no traffic before ``/readyz`` passes: it must not wait for an API
    call to run the first start (the default model)."""
    client = unmigrated.test_client()
    assert client.get("/readyz").status_code == 503

    flask_db_upgrade(unmigrated)

    assert client.get("/readyz").get_json() == {"status": "ready"}
