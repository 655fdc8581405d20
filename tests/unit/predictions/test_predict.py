"""POST /api/v1/predict: one sample on the default model."""

import pytest

from tests.unit.helpers import ROW, assert_problem, expected_predictions

PREDICT = "/api/v1/predict"


def raw_features(values: str) -> str:
    """A body whose features are written as raw JSON (NaN, Infinity, huge literals)."""
    return f'{{"features": [{values}]}}'


def test_prediction_answer_names_the_default_model(client, auth_headers):
    response = client.post(PREDICT, json={"features": ROW}, headers=auth_headers)

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {
        "prediction_id",
        "prediction",
        "model_id",
        "model_name",
        "model_version",
        "cached",
        "latency_ms",
    }
    assert body["model_name"] == "diabetes-linear"
    assert body["model_version"] == 1
    assert body["cached"] is False
    assert isinstance(body["prediction_id"], int)
    assert isinstance(body["latency_ms"], float)
    assert body["latency_ms"] >= 0


def test_prediction_is_linear_regression_on_the_diabetes_data(client, auth_headers):
    [expected] = expected_predictions([ROW])

    body = client.post(PREDICT, json={"features": ROW}, headers=auth_headers).get_json()

    assert body["prediction"] == pytest.approx(expected, rel=1e-9)


def test_answered_prediction_is_already_in_the_callers_history(client, auth_headers):
    answer = client.post(PREDICT, json={"features": ROW}, headers=auth_headers).get_json()

    record = client.get(f"/api/v1/predictions/{answer['prediction_id']}", headers=auth_headers)

    assert record.status_code == 200
    assert record.get_json()["prediction"] == answer["prediction"]
    assert record.get_json()["features"] == ROW


@pytest.mark.parametrize("count", [1, 9, 11, 100])
def test_wrong_number_of_features_states_the_expected_count(client, auth_headers, count):
    response = client.post(PREDICT, json={"features": [0.1] * count}, headers=auth_headers)

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"]["features"] == [f"Expected 10 features, got {count}."]
    assert "10" in body["detail"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("NaN", "nan"),
        ("Infinity", "infinity"),
        ("-Infinity", "infinity"),
        ('"0.5"', "Not a number"),
        ("null", "null"),
        ("true", "Not a number"),
        ("[0.5]", "Not a number"),
        ('{"x": 1}', "Not a number"),
    ],
)
def test_feature_that_is_not_a_finite_number_is_refused_by_position(
    client, auth_headers, value, reason
):
    values = ", ".join([*map(str, ROW[:3]), value, *map(str, ROW[4:])])

    response = client.post(
        PREDICT, data=raw_features(values), content_type="application/json", headers=auth_headers
    )

    body = assert_problem(response, 422, "validation_error")
    assert set(body["errors"]) == {"features.3"}
    assert reason in body["errors"]["features.3"][0]


@pytest.mark.parametrize(
    "body", [{}, {"features": None}, {"features": []}], ids=["missing", "null", "empty"]
)
def test_absent_features_are_refused(client, auth_headers, body):
    response = client.post(PREDICT, json=body, headers=auth_headers)

    assert "features" in assert_problem(response, 422, "validation_error")["errors"]


def test_values_the_model_cannot_answer_finitely_are_refused_not_a_500(client, auth_headers):
    response = client.post(PREDICT, json={"features": [1e308] * 10}, headers=auth_headers)

    body = assert_problem(response, 422, "validation_error")
    assert "finite" in body["errors"]["features"][0]


def test_refused_prediction_leaves_no_history(client, auth_headers):
    client.post(PREDICT, json={"features": [1e308] * 10}, headers=auth_headers)
    client.post(PREDICT, json={"features": [0.1] * 3}, headers=auth_headers)

    assert client.get("/api/v1/predictions", headers=auth_headers).get_json()["total"] == 0


def test_prediction_needs_credentials(client):
    assert_problem(client.post(PREDICT, json={"features": ROW}), 401, "unauthorized")
