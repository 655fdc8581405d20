"""POST /api/v1/batch-predict: 1 to 100 samples on the default model, one record each."""

import pytest

from tests.unit.helpers import ROW, assert_problem, expected_predictions, row

BATCH = "/api/v1/batch-predict"


def test_batch_answers_every_sample_in_order(client, auth_headers):
    samples = [row(0.0), row(0.01), row(-0.02)]

    response = client.post(BATCH, json={"samples": samples}, headers=auth_headers)

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {
        "predictions",
        "prediction_ids",
        "count",
        "model_id",
        "model_name",
        "model_version",
    }
    assert body["count"] == 3
    assert (body["model_name"], body["model_version"]) == ("diabetes-linear", 1)
    assert body["predictions"] == pytest.approx(expected_predictions(samples), rel=1e-9)


def test_batch_records_one_history_entry_per_sample(client, auth_headers):
    samples = [row(0.0), row(0.01), row(-0.02)]

    ids = client.post(BATCH, json={"samples": samples}, headers=auth_headers).get_json()[
        "prediction_ids"
    ]

    assert len(set(ids)) == 3
    recorded = [
        client.get(f"/api/v1/predictions/{i}", headers=auth_headers).get_json() for i in ids
    ]
    assert [r["features"] for r in recorded] == samples
    assert client.get("/api/v1/predictions", headers=auth_headers).get_json()["total"] == 3


@pytest.mark.parametrize("size", [1, 100])
def test_batch_sizes_at_the_limits_are_answered(client, auth_headers, size):
    samples = [row(i / 1000) for i in range(size)]

    response = client.post(BATCH, json={"samples": samples}, headers=auth_headers)

    assert response.status_code == 200
    assert response.get_json()["count"] == size
    assert len(response.get_json()["predictions"]) == size


@pytest.mark.parametrize("size", [0, 101])
def test_batch_sizes_beyond_the_limits_are_refused(client, auth_headers, size):
    response = client.post(BATCH, json={"samples": [ROW] * size}, headers=auth_headers)

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"]["samples"] == [f"Send between 1 and 100 samples; got {size}."]


def test_sample_of_the_wrong_width_is_named_by_position(client, auth_headers):
    samples = [ROW, ROW, ROW[:9], ROW]

    response = client.post(BATCH, json={"samples": samples}, headers=auth_headers)

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == {"samples.2": ["Expected 10 features, got 9."]}


def test_bad_value_is_named_by_sample_and_feature(client, auth_headers):
    samples = [ROW, ROW, [*ROW[:4], "x", *ROW[5:]]]

    response = client.post(BATCH, json={"samples": samples}, headers=auth_headers)

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == {"samples.2.4": ["Not a number."]}


@pytest.mark.parametrize(
    "samples", [ROW, "ROW", [[ROW]], None], ids=["flat-list", "string", "too-deep", "null"]
)
def test_samples_that_are_not_a_list_of_rows_are_refused(client, auth_headers, samples):
    response = client.post(BATCH, json={"samples": samples}, headers=auth_headers)

    assert_problem(response, 422, "validation_error")


def test_refused_batch_records_nothing(client, auth_headers):
    client.post(BATCH, json={"samples": [ROW, ROW[:9]]}, headers=auth_headers)
    client.post(BATCH, json={"samples": [ROW, [1e308] * 10]}, headers=auth_headers)

    assert client.get("/api/v1/predictions", headers=auth_headers).get_json()["total"] == 0


def test_batch_needs_credentials(client):
    assert_problem(client.post(BATCH, json={"samples": [ROW]}), 401, "unauthorized")
