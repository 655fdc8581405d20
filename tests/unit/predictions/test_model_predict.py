"""POST /api/v1/models/{id}/predict and /batch-predict: any model the caller may see,
features as a list or by name."""

import pytest
from sklearn.datasets import load_iris

from mlapi.predictions import service
from tests.model_records import IRIS_FEATURES
from tests.support.model_files import model_file
from tests.unit.helpers import ROW, assert_problem

FLOWER = [float(v) for v in load_iris().data[0]]  # a setosa
NAMED_FLOWER = dict(zip(IRIS_FEATURES, FLOWER, strict=True))


def predict_path(model_id: int) -> str:
    return f"/api/v1/models/{model_id}/predict"


def batch_path(model_id: int) -> str:
    return f"/api/v1/models/{model_id}/batch-predict"


@pytest.fixture
def iris(stored_model, alice) -> int:
    return stored_model(alice, "iris", kind="classifier", feature_names=IRIS_FEATURES)


def reference_classifier():
    import skops.io as sio

    return sio.loads(model_file("classifier"), trusted=[])


def test_named_features_are_put_in_the_models_order(client, alice, iris):
    shuffled = dict(reversed(NAMED_FLOWER.items()))

    by_name = client.post(predict_path(iris), json={"features": shuffled}, headers=alice.headers)
    by_list = client.post(predict_path(iris), json={"features": FLOWER}, headers=alice.headers)

    assert by_name.status_code == by_list.status_code == 200
    assert by_name.get_json()["prediction"] == by_list.get_json()["prediction"] == 0
    assert by_list.get_json()["cached"] is True  # the same row, whichever way it was sent
    record = client.get(
        f"/api/v1/predictions/{by_name.get_json()['prediction_id']}", headers=alice.headers
    ).get_json()
    assert record["features"] == FLOWER


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ({**NAMED_FLOWER, "colour": 1.0}, "Unknown feature names: colour."),
        (
            {k: v for k, v in NAMED_FLOWER.items() if k != "sepal_width"},
            "Missing feature names: sepal_width.",
        ),
    ],
    ids=["unknown", "missing"],
)
def test_wrong_feature_names_are_named(client, alice, iris, features, message):
    response = client.post(predict_path(iris), json={"features": features}, headers=alice.headers)

    assert assert_problem(response, 422, "validation_error")["errors"]["features"] == [message]


def test_named_features_need_a_model_with_feature_names(client, alice, stored_model):
    model_id = stored_model(alice, kind="classifier")

    response = client.post(
        predict_path(model_id), json={"features": NAMED_FLOWER}, headers=alice.headers
    )

    assert "no feature names" in assert_problem(response, 422, "validation_error")["detail"]


@pytest.mark.parametrize("features", [{"sepal_length": "long"}, {}, {"a": True}])
def test_named_values_must_be_numbers(client, alice, iris, features):
    response = client.post(predict_path(iris), json={"features": features}, headers=alice.headers)

    assert any(
        k.startswith("features")
        for k in assert_problem(response, 422, "validation_error")["errors"]
    )


def test_wrong_count_states_the_models_count(client, alice, iris):
    response = client.post(predict_path(iris), json={"features": ROW}, headers=alice.headers)

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"]["features"] == ["Expected 4 features, got 10."]


def test_classifier_answers_with_probabilities_of_its_classes(client, alice, iris):
    body = client.post(
        predict_path(iris), json={"features": FLOWER}, headers=alice.headers
    ).get_json()

    expected = reference_classifier().predict_proba([FLOWER])[0]
    assert set(body["probabilities"]) == {"0", "1", "2"}
    assert sum(body["probabilities"].values()) == pytest.approx(1.0)
    assert [body["probabilities"][c] for c in "012"] == pytest.approx(list(expected))
    assert body["prediction"] == 0
    assert (body["model_id"], body["model_name"], body["model_version"]) == (iris, "iris", 1)


def test_regressor_answers_without_probabilities(client, alice, stored_model):
    model_id = stored_model(alice, "sales")

    body = client.post(
        predict_path(model_id), json={"features": ROW}, headers=alice.headers
    ).get_json()

    assert "probabilities" not in body
    assert isinstance(body["prediction"], float)


def test_repeated_question_to_a_model_is_answered_from_its_cache(client, alice, iris, monkeypatch):
    client.post(predict_path(iris), json={"features": FLOWER}, headers=alice.headers)
    calls = []
    monkeypatch.setattr(service, "_infer", lambda *args: calls.append(args))

    body = client.post(
        predict_path(iris), json={"features": NAMED_FLOWER}, headers=alice.headers
    ).get_json()

    assert calls == []
    assert body["cached"] is True
    assert body["probabilities"]["0"] > 0.9


@pytest.mark.parametrize(("visibility", "status"), [("private", 403), ("public", 200)])
def test_another_users_model_only_when_public(client, alice, bob, stored_model, visibility, status):
    model_id = stored_model(alice, kind="classifier", visibility=visibility)

    response = client.post(predict_path(model_id), json={"features": FLOWER}, headers=bob.headers)

    assert response.status_code == status


def test_admin_may_predict_with_a_private_model(client, alice, person, stored_model):
    model_id = stored_model(alice, kind="classifier")

    response = client.post(
        predict_path(model_id), json={"features": FLOWER}, headers=person(role="admin").headers
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"), [(predict_path, {"features": FLOWER}), (batch_path, {"samples": [FLOWER]})]
)
def test_deleted_or_missing_model_is_not_found(client, alice, stored_model, path, body):
    deleted = stored_model(alice, kind="classifier", deleted=True)

    for model_id in (deleted, 987654):
        response = client.post(path(model_id), json=body, headers=alice.headers)
        assert_problem(response, 404, "not_found")


def test_batch_takes_lists_and_named_samples(client, alice, iris):
    flowers = load_iris().data[[0, 50, 100]].tolist()
    samples = [flowers[0], dict(zip(IRIS_FEATURES, flowers[1], strict=True)), flowers[2]]

    response = client.post(batch_path(iris), json={"samples": samples}, headers=alice.headers)

    body = response.get_json()
    assert response.status_code == 200, body
    assert body["predictions"] == reference_classifier().predict(flowers).tolist()
    assert (body["count"], body["model_id"], body["model_name"], body["model_version"]) == (
        3,
        iris,
        "iris",
        1,
    )
    history = client.get(f"/api/v1/predictions?model_id={iris}", headers=alice.headers)
    assert sorted(i["id"] for i in history.get_json()["items"]) == body["prediction_ids"]


def test_batch_errors_point_at_each_bad_sample(client, alice, iris):
    samples = [FLOWER, {"petal_colour": 1.0}, FLOWER[:3]]

    response = client.post(batch_path(iris), json={"samples": samples}, headers=alice.headers)

    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert set(errors) == {"samples.1", "samples.2"}
    assert "Unknown feature names: petal_colour." in errors["samples.1"]
    assert errors["samples.2"] == ["Expected 4 features, got 3."]


def test_batch_of_another_users_private_model_is_forbidden(client, alice, bob, iris):
    response = client.post(batch_path(iris), json={"samples": [FLOWER]}, headers=bob.headers)

    assert_problem(response, 403, "forbidden")


def test_a_multi_output_classifier_answers_one_label_per_output(client, alice, upload_model):
    model = upload_model(alice.headers, "flower-and-parity", kind="multi_output")

    single = client.post(
        predict_path(model["id"]), json={"features": FLOWER}, headers=alice.headers
    )
    batch = client.post(
        batch_path(model["id"]), json={"samples": [FLOWER, FLOWER]}, headers=alice.headers
    )

    assert single.status_code == batch.status_code == 200
    assert single.get_json()["prediction"] == [0, 0]  # setosa, an even class number
    assert "probabilities" not in single.get_json()  # one table per output: none is sent
    assert batch.get_json()["predictions"] == [[0, 0], [0, 0]]
    assert "classes" not in model  # one set per output: none is recorded
    feedback = client.post(
        f"/api/v1/predictions/{single.get_json()['prediction_id']}/feedback",
        json={"actual_value": 0, "score": 4},
        headers=alice.headers,
    )
    metrics = client.get(f"/api/v1/models/{model['id']}/metrics", headers=alice.headers)
    assert (feedback.status_code, metrics.status_code) == (201, 200)
