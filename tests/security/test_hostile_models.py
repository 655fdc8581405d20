"""Hostile model files: crafted trees, schemas of many nodes, classifiers of many classes
(issue 14, items 1, 3 and 4).

The tree files are genuinely trained models whose arrays were then edited
(tests/hostile_models.py): each allowed tree type gets each corruption and is refused
with 422 ``model_load_error`` at upload; a crafted file that reaches the store anyway
is refused at load (503 ``model_unavailable``, as every artifact that stops loading);
and a real server survives the outside tester's crash files (tests/security/
test_hostile_server.py).
"""

import io

import numpy as np
import pytest
from sqlalchemy import update

from mlapi.extensions import db
from mlapi.registry import loader
from mlapi.registry.models import MLModel
from mlapi.registry.state import model_store
from tests.hostile_models import (
    CORRUPTIONS,
    DIABETES_ROW,
    TREE_KINDS,
    archive_without_schema,
    categorical_split_on_numeric_feature,
    crafted,
    extra_boosting_column,
    genuine,
    many_classes,
    missing_values_go_right,
    mistyped_neighbours,
    padded_linear_model,
    row_for,
    wider_forest_member,
)
from tests.steps.common_steps import assert_refused
from tests.unit.helpers import artifacts_in
from tests.unit.registry.test_upload import form_for, post_form

CASES = [(kind, corruption) for kind in TREE_KINDS for corruption in CORRUPTIONS[kind]]


def upload_bytes(client, headers, content: bytes, name: str = "hostile"):
    return post_form(client, headers, **form_for(name=name, file=(io.BytesIO(content), name)))


def model_count(client, headers) -> int:
    return client.get("/api/v1/models?owner=me", headers=headers).get_json()["total"]


def assert_refused_as_unloadable(response, *words: str) -> dict:
    body = assert_refused(response, 422, "model_load_error")
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


@pytest.mark.parametrize(("kind", "corruption"), CASES, ids=[f"{k}-{c}" for k, c in CASES])
def test_a_tree_with_damaged_arrays_is_refused_and_leaves_nothing(
    client, auth_headers, private_model_store, kind, corruption
):
    stored = artifacts_in(private_model_store)

    response = upload_bytes(client, auth_headers, crafted(kind, corruption))

    assert_refused_as_unloadable(response, "damaged")
    assert artifacts_in(private_model_store) == stored
    assert model_count(client, auth_headers) == 0


@pytest.mark.parametrize("kind", TREE_KINDS)
def test_genuine_tree_models_of_every_allowed_type_upload_and_predict(client, auth_headers, kind):
    created = upload_bytes(client, auth_headers, genuine(kind), name=kind)
    assert created.status_code == 201, created.get_json()

    answer = client.post(
        f"/api/v1/models/{created.get_json()['id']}/predict",
        json={"features": row_for(kind)},
        headers=auth_headers,
    )

    assert answer.status_code == 200, answer.get_json()
    assert np.isfinite(answer.get_json()["prediction"])


def test_a_forest_tree_grown_on_more_features_than_the_forest_is_refused(client, auth_headers):
    """A forest checks its input's width, then lets each tree read it unchecked."""
    response = upload_bytes(client, auth_headers, wider_forest_member())

    assert_refused_as_unloadable(response, "features")


@pytest.mark.parametrize(
    ("with_bitsets", "words"), [(False, "bitset index out of range"), (True, "not categorical")]
)
def test_a_categorical_split_on_a_numeric_feature_is_refused(
    client, auth_headers, with_bitsets, words
):
    response = upload_bytes(
        client, auth_headers, categorical_split_on_numeric_feature(with_bitsets)
    )

    assert_refused_as_unloadable(response, words)


def test_gradient_boosting_with_more_trees_per_stage_than_outputs_is_refused(client, auth_headers):
    """Its trees write their answers into columns of an array the model sizes itself."""
    response = upload_bytes(client, auth_headers, extra_boosting_column())

    assert_refused_as_unloadable(response, "trees per stage")


@pytest.mark.parametrize("kind", ["decision_tree", "hist_gradient_boosting"])
def test_an_infinite_threshold_that_sends_missing_values_right_is_genuine(
    client, auth_headers, kind
):
    created = upload_bytes(client, auth_headers, missing_values_go_right(kind))
    assert created.status_code == 201, created.get_json()

    answer = client.post(
        f"/api/v1/models/{created.get_json()['id']}/predict",
        json={"features": [1.0]},
        headers=auth_headers,
    )

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["prediction"] < 5.0  # trained: present 0, missing 10


def test_a_crafted_tree_that_reaches_the_store_is_refused_at_load_and_nothing_else_breaks(
    configured_app, request
):
    """A file the upload never saw (restored from a backup taken before the checks, put
    there by hand): every load checks it again, and the model is unavailable rather than
    answering from a tree that reads NaN thresholds."""
    app = configured_app(PROPAGATE_EXCEPTIONS=False)
    client, headers = app.test_client(), request.getfixturevalue("auth_headers")
    model = upload_bytes(client, headers, genuine("decision_tree")).get_json()
    damaged = crafted("decision_tree", "nan_threshold")
    with app.app_context():
        digest = model_store().put(damaged)
        db.session.execute(update(MLModel).where(MLModel.id == model["id"]).values(sha256=digest))
        db.session.commit()

    answer = client.post(
        f"/api/v1/models/{model['id']}/predict", json={"features": DIABETES_ROW}, headers=headers
    )

    assert_refused(answer, 503, "model_unavailable")
    default = client.post("/api/v1/predict", json={"features": DIABETES_ROW}, headers=headers)
    assert default.status_code == 200, default.get_json()


def test_a_model_file_of_more_nodes_than_the_cap_is_refused_before_it_is_loaded(
    client, auth_headers, monkeypatch
):
    """A working linear model padded with 100,000 empty lists: 360 KB deflated, seconds
    of a worker to build; refused having built nothing."""
    built = []
    monkeypatch.setattr(loader.sio, "get_untrusted_types", lambda **kw: built.append(kw) or [])
    monkeypatch.setattr(loader.sio, "loads", lambda *a, **kw: built.append(kw))

    response = upload_bytes(client, auth_headers, padded_linear_model(100_000))

    assert_refused_as_unloadable(response, "100000 objects")
    assert built == []
    assert model_count(client, auth_headers) == 0


def test_an_archive_without_a_schema_is_refused(client, auth_headers):
    assert_refused_as_unloadable(upload_bytes(client, auth_headers, archive_without_schema()))


def test_a_tree_model_whose_arrays_cannot_be_checked_is_refused(client, auth_headers):
    response = upload_bytes(client, auth_headers, mistyped_neighbours())

    assert_refused_as_unloadable(response, "could not be checked")


def test_the_node_cap_is_a_setting(configured_app, request):
    configured_app(MAX_MODEL_NODES=50)
    client, headers = request.getfixturevalue("client"), request.getfixturevalue("auth_headers")

    small = upload_bytes(client, headers, genuine("decision_tree"))

    assert_refused_as_unloadable(small, "50 objects")


def test_a_classifier_of_more_classes_than_the_cap_is_refused(client, auth_headers):
    response = upload_bytes(client, auth_headers, many_classes(1_001))

    assert_refused_as_unloadable(response, "1001 classes")
    assert model_count(client, auth_headers) == 0


def test_the_classes_of_every_output_count_together(client, auth_headers):
    response = upload_bytes(client, auth_headers, many_classes(501, outputs=2))

    assert_refused_as_unloadable(response, "1002 classes")


def test_a_classifier_of_exactly_the_cap_in_classes_is_accepted(client, auth_headers):
    response = upload_bytes(client, auth_headers, many_classes(1_000))

    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["classes"]) == 1_000


def test_the_class_cap_is_a_setting(configured_app, request):
    configured_app(MAX_CLASSES=2)
    client, headers = request.getfixturevalue("client"), request.getfixturevalue("auth_headers")

    response = upload_bytes(client, headers, genuine("random_forest"))

    assert_refused_as_unloadable(response, "3 classes")  # iris
