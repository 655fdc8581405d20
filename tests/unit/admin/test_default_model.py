"""Admins choose which public model answers /predict and /batch-predict."""

import pytest
import skops.io as sio
from sqlalchemy import false, select, update

from mlapi.admin import service
from mlapi.extensions import db
from mlapi.registry.models import MLModel
from tests.support.model_files import model_file
from tests.unit.helpers import ROW, assert_problem, expected_predictions

DEFAULT_MODEL = "/api/v1/admin/default-model"
PREDICT = "/api/v1/predict"


def default_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(MLModel.id).where(MLModel.is_default.is_(True))))


def test_a_public_model_becomes_the_default_and_answers_the_next_prediction(
    app, client, admin_headers, auth_headers, user, upload_model
):
    model_id = upload_model(auth_headers, "ridge", visibility="public")["id"]

    response = client.put(DEFAULT_MODEL, json={"model_id": model_id}, headers=admin_headers)

    record = response.get_json()
    assert response.status_code == 200
    assert (record["id"], record["name"], record["visibility"]) == (model_id, "ridge", "public")
    assert record["owner"]["id"] == user.id
    assert default_ids(app) == [model_id]
    answer = client.post(PREDICT, json={"features": ROW}, headers=auth_headers).get_json()
    ridge = sio.loads(model_file("regressor"), trusted=[])
    assert answer["model_id"] == model_id
    assert answer["prediction"] == pytest.approx(ridge.predict([ROW])[0])
    assert answer["prediction"] != pytest.approx(expected_predictions([ROW])[0])


def test_switching_back_restores_the_original_default(
    app, client, admin_headers, auth_headers, upload_model
):
    original = default_ids(app)[0]
    public = upload_model(auth_headers, visibility="public")
    client.put(DEFAULT_MODEL, json={"model_id": public["id"]}, headers=admin_headers)

    response = client.put(DEFAULT_MODEL, json={"model_id": original}, headers=admin_headers)

    assert response.status_code == 200
    assert default_ids(app) == [original]


def test_choosing_the_current_default_again_changes_nothing(app, client, admin_headers):
    original = default_ids(app)[0]

    response = client.put(DEFAULT_MODEL, json={"model_id": original}, headers=admin_headers)

    assert response.get_json()["id"] == original
    assert default_ids(app) == [original]


def test_a_private_model_cannot_be_the_default(
    app, client, admin_headers, auth_headers, upload_model
):
    original = default_ids(app)
    model_id = upload_model(auth_headers, visibility="private")["id"]

    assert_problem(
        client.put(DEFAULT_MODEL, json={"model_id": model_id}, headers=admin_headers),
        422,
        "model_not_public",
    )
    assert default_ids(app) == original


@pytest.mark.parametrize("deleted", [True, False])
def test_a_deleted_or_missing_model_is_not_found(
    app, client, admin_headers, auth_headers, upload_model, deleted
):
    original = default_ids(app)
    model_id = 99_999
    if deleted:
        model_id = upload_model(auth_headers, visibility="public")["id"]
        client.delete(f"/api/v1/models/{model_id}", headers=auth_headers)

    assert_problem(
        client.put(DEFAULT_MODEL, json={"model_id": model_id}, headers=admin_headers),
        404,
        "not_found",
    )
    assert default_ids(app) == original


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "model_id"),
        ({"model_id": "1"}, "model_id"),
        ({"model_id": True}, "model_id"),
        ({"model_id": 1.5}, "model_id"),
        ({"model_id": 0}, "model_id"),
        ({"model_id": 2**31}, "model_id"),
        ({"model_id": 1, "owner": 1}, "owner"),
    ],
)
def test_invalid_choices_are_refused_naming_the_field(client, admin_headers, body, field):
    problem = assert_problem(
        client.put(DEFAULT_MODEL, json=body, headers=admin_headers), 422, "validation_error"
    )

    assert field in problem["errors"]


def test_a_switch_that_collides_with_another_is_a_conflict(
    app, client, admin_headers, auth_headers, upload_model, monkeypatch
):
    """As when another admin's new default lands unseen by our clearing UPDATE (PostgreSQL,
    READ COMMITTED): the partial unique index refuses a second default."""
    original = default_ids(app)
    model_id = upload_model(auth_headers, visibility="public")["id"]
    clears_nothing = update(MLModel).where(false())
    monkeypatch.setattr(service, "update", lambda _model: clears_nothing)

    assert_problem(
        client.put(DEFAULT_MODEL, json={"model_id": model_id}, headers=admin_headers),
        409,
        "conflict",
    )
    assert default_ids(app) == original
