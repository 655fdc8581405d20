"""Reading, listing, changing and deleting models: who sees what, and what deletion keeps."""

import pytest
from sqlalchemy import select

from mlapi.extensions import db
from mlapi.predictions.state import answer_caches
from mlapi.registry.models import MLModel
from mlapi.registry.state import loaded_models, model_store
from tests.steps.common_steps import assert_refused, assert_refused_pointing_at


@pytest.fixture
def bob(make_user, sign_in):
    return sign_in(make_user("bob")).headers


@pytest.fixture
def admin(make_user, sign_in):
    return sign_in(make_user("root", role="admin")).headers


def names(response) -> list[tuple[str, int]]:
    assert response.status_code == 200, response.get_json()
    return [(item["name"], item["version"]) for item in response.get_json()["items"]]


def test_listing_shows_own_public_and_default_models_newest_first(
    client, upload_model, auth_headers, bob
):
    upload_model(auth_headers, "mine")
    upload_model(bob, "shared", visibility="public")
    upload_model(bob, "secret")
    upload_model(auth_headers, "mine")

    listed = names(client.get("/api/v1/models", headers=auth_headers))

    assert listed == [("mine", 2), ("shared", 1), ("mine", 1), ("diabetes-linear", 1)]


def test_admins_list_every_model(client, upload_model, bob, admin):
    upload_model(bob, "secret")

    assert ("secret", 1) in names(client.get("/api/v1/models", headers=admin))


def test_listing_filters_by_exact_name_and_by_owner(client, upload_model, auth_headers, bob):
    upload_model(auth_headers, "churn")
    upload_model(auth_headers, "churn-2")
    upload_model(bob, "churn", visibility="public")

    by_name = names(client.get("/api/v1/models?name=churn", headers=auth_headers))
    mine = names(client.get("/api/v1/models?owner=me", headers=auth_headers))

    assert by_name == [("churn", 1), ("churn", 1)]
    assert mine == [("churn-2", 1), ("churn", 1)]


def test_listing_is_paginated(client, upload_model, auth_headers):
    for _ in range(3):
        upload_model(auth_headers, "churn")

    body = client.get("/api/v1/models?owner=me&per_page=2&page=2", headers=auth_headers).get_json()

    assert [item["version"] for item in body["items"]] == [1]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (2, 2, 3, 2)


@pytest.mark.parametrize("query", ["owner=bob", "page=0", "per_page=101", "name="])
def test_bad_list_queries_are_refused(client, auth_headers, query):
    response = client.get(f"/api/v1/models?{query}", headers=auth_headers)

    assert_refused_pointing_at(response, query.split("=")[0])


@pytest.mark.parametrize(("visibility", "status"), [("private", 403), ("public", 200)])
def test_reading_another_users_model_depends_on_visibility(
    client, upload_model, auth_headers, bob, visibility, status
):
    record = upload_model(bob, "theirs", visibility=visibility)

    response = client.get(f"/api/v1/models/{record['id']}", headers=auth_headers)

    assert response.status_code == status


@pytest.mark.parametrize(
    "path", ["/api/v1/models/999999", "/api/v1/models/abc", "/api/v1/models/0"]
)
def test_missing_models_are_not_found(client, auth_headers, path):
    assert_refused(client.get(path, headers=auth_headers), 404, "not_found")


def test_the_owner_changes_description_and_visibility(client, upload_model, auth_headers):
    record = upload_model(auth_headers, "churn")

    response = client.patch(
        f"/api/v1/models/{record['id']}",
        headers=auth_headers,
        json={"description": "v1 of churn", "visibility": "public"},
    )

    assert response.status_code == 200
    assert response.get_json()["description"] == "v1 of churn"
    assert response.get_json()["visibility"] == "public"


@pytest.mark.parametrize("field", ["owner", "version", "sha256", "name", "is_default"])
def test_only_description_and_visibility_can_change(client, upload_model, auth_headers, field):
    record = upload_model(auth_headers, "churn")

    response = client.patch(f"/api/v1/models/{record['id']}", headers=auth_headers, json={field: 1})

    assert_refused_pointing_at(response, field)


def test_others_cannot_change_a_public_model(client, upload_model, auth_headers, bob):
    record = upload_model(bob, "theirs", visibility="public")

    response = client.patch(
        f"/api/v1/models/{record['id']}", headers=auth_headers, json={"description": "mine now"}
    )

    assert_refused(response, 403, "forbidden")


def test_deleting_keeps_a_tombstone_and_removes_the_artifact(
    app, client, upload_model, auth_headers
):
    record = upload_model(auth_headers, "churn")

    response = client.delete(f"/api/v1/models/{record['id']}", headers=auth_headers)

    assert response.status_code == 204
    assert_refused(
        client.get(f"/api/v1/models/{record['id']}", headers=auth_headers), 404, "not_found"
    )
    assert names(client.get("/api/v1/models?owner=me", headers=auth_headers)) == []
    with app.app_context():
        tombstone = db.session.get(MLModel, record["id"])
        assert tombstone.deleted_at is not None
        assert not model_store().exists(record["sha256"])


def test_an_artifact_another_live_model_uses_survives_deletion(
    app, client, upload_model, auth_headers, bob
):
    mine = upload_model(auth_headers, "churn")
    theirs = upload_model(bob, "copy")

    client.delete(f"/api/v1/models/{mine['id']}", headers=auth_headers)

    assert client.get(f"/api/v1/models/{theirs['id']}", headers=bob).status_code == 200
    with app.app_context():
        assert model_store().exists(theirs["sha256"])


def test_deletion_evicts_the_model_and_keeps_its_predictions(
    app, client, upload_model, auth_headers
):
    record = upload_model(auth_headers, "churn")
    predicted = client.post(
        f"/api/v1/models/{record['id']}/predict",
        headers=auth_headers,
        json={"features": [0.01] * 10},
    )
    assert predicted.status_code == 200, predicted.get_json()

    with app.app_context():
        caches = (loaded_models(), answer_caches().answers)
    is_churn = lambda key: key[0] == record["id"]  # noqa: E731

    assert all(any(map(is_churn, cache._items)) for cache in caches)  # warm before
    client.delete(f"/api/v1/models/{record['id']}", headers=auth_headers)

    assert [cache.discard_where(is_churn) for cache in caches] == [0, 0]
    history = client.get(
        f"/api/v1/predictions/{predicted.get_json()['prediction_id']}", headers=auth_headers
    )
    assert history.status_code == 200
    assert (history.get_json()["model_name"], history.get_json()["model_version"]) == ("churn", 1)


@pytest.mark.parametrize(
    ("method", "body"), [("delete", None), ("patch", {"visibility": "private"})]
)
def test_the_default_model_cannot_be_deleted_or_hidden(app, client, admin, method, body):
    with app.app_context():
        default_id = db.session.scalar(select(MLModel.id).where(MLModel.is_default))

    response = client.open(
        f"/api/v1/models/{default_id}", method=method.upper(), headers=admin, json=body
    )

    assert_refused(response, 409, "conflict")


def test_admins_may_delete_any_model(client, upload_model, bob, admin):
    record = upload_model(bob, "secret")

    assert client.delete(f"/api/v1/models/{record['id']}", headers=admin).status_code == 204
