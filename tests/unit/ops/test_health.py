"""/health, /livez and /readyz: plain JSON for people and orchestrators, also when the
database or the default model is not there."""

from pathlib import Path

import pytest
from flask_jwt_extended import create_access_token

from mlapi import __version__
from tests.support.users import bearer
from tests.unit.helpers import ROW, artifacts_in, assert_problem

HEALTH_KEYS = {"status", "database", "cache", "version", "default_model"}


def assert_plain_json(response) -> dict:
    assert response.mimetype == "application/json"
    return response.get_json()


@pytest.fixture
def unreachable_database(configured_app, tmp_path):
    """An app whose SQLite file lies in a folder that does not exist."""
    return configured_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no-such-folder' / 'mlapi.db'}"
    )


@pytest.fixture
def empty_database(configured_app, tmp_path):
    """An app on a reachable database nobody has migrated yet."""
    return configured_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}", AUTO_MIGRATE=False
    )


def test_health_reports_ok_with_the_default_model(client):
    response = client.get("/health")

    assert response.status_code == 200
    body = assert_plain_json(response)
    assert set(body) == HEALTH_KEYS
    assert (body["status"], body["database"]) == ("ok", "ok")
    assert body["cache"] in {"ok", "disabled", "unavailable"}
    assert body["version"] == __version__
    assert set(body["default_model"]) == {"id", "name", "version"}
    assert (body["default_model"]["name"], body["default_model"]["version"]) == (
        "diabetes-linear",
        1,
    )


def test_livez_says_the_process_is_alive(client):
    response = client.get("/livez")

    assert response.status_code == 200
    assert assert_plain_json(response) == {"status": "ok"}


def test_readyz_is_ready_with_database_and_default_model(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert assert_plain_json(response) == {"status": "ready"}


@pytest.mark.parametrize("path", ["/health", "/livez", "/readyz"])
def test_operations_endpoints_need_no_credentials(client, path):
    assert client.get(path).status_code == 200


def test_app_starts_when_the_database_cannot_be_reached(unreachable_database):
    assert unreachable_database.test_client().get("/livez").status_code == 200


def test_health_is_degraded_when_the_database_cannot_be_reached(unreachable_database):
    response = unreachable_database.test_client().get("/health")

    assert response.status_code == 503
    body = assert_plain_json(response)
    assert set(body) == HEALTH_KEYS | {"reason"}
    assert (body["status"], body["database"]) == ("degraded", "unavailable")
    assert body["reason"] == "the database cannot be reached"
    assert body["default_model"] is None


def test_readyz_is_not_ready_when_the_database_cannot_be_reached(unreachable_database):
    response = unreachable_database.test_client().get("/readyz")

    assert response.status_code == 503
    body = assert_plain_json(response)
    assert body["status"] == "not_ready"
    assert "database" in body["reason"]


def test_sign_in_when_the_database_cannot_be_reached_is_service_unavailable(unreachable_database):
    response = unreachable_database.test_client().post(
        "/api/v1/auth/login", json={"username": "alice", "password": "whatever-pass"}
    )

    body = assert_problem(response, 503, "service_unavailable")
    assert "sqlite" not in response.get_data(as_text=True).lower()
    assert "no-such-folder" not in body["detail"]


def test_signed_in_call_when_the_database_cannot_be_reached_is_service_unavailable(
    unreachable_database,
):
    with unreachable_database.app_context():
        token = create_access_token(identity="2")

    response = unreachable_database.test_client().post(
        "/api/v1/predict", json={"features": ROW}, headers=bearer(token)
    )

    assert_problem(response, 503, "service_unavailable")


def test_unreachable_database_folder_is_not_created(unreachable_database, tmp_path):
    unreachable_database.test_client().get("/health")

    assert not Path(tmp_path / "no-such-folder").exists()


def test_health_keeps_its_shape_before_the_schema_exists(empty_database):
    response = empty_database.test_client().get("/health")

    body = assert_plain_json(response)
    assert set(body) == HEALTH_KEYS | {"reason"}
    assert body["default_model"] is None


def test_readyz_is_not_ready_before_the_schema_exists(empty_database):
    response = empty_database.test_client().get("/readyz")

    assert response.status_code == 503
    assert assert_plain_json(response)["status"] == "not_ready"


def test_readyz_is_not_ready_when_the_default_artifact_is_damaged(
    private_model_store, configured_app
):
    app = configured_app()
    [artifact] = artifacts_in(private_model_store)
    artifact.write_bytes(b"damaged")

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    body = assert_plain_json(response)
    assert body["status"] == "not_ready"
    assert str(private_model_store) not in body["reason"]
