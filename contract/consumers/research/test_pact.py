"""The research group's expectations of mlapi (writes contract/pacts/research-mlapi.json)."""

import pytest
from pact import match

from ..terms import (
    ACCOUNT,
    FEATURE_NAMES,
    JSON,
    NO_MODEL,
    PREDICTION,
    PRIVATE_MODEL,
    PROBLEM,
    bearer,
    field_errors,
    from_state,
    page_of,
    path_with,
    problem,
    timestamp,
)
from .client import ModelGone, ResearchClient, UnknownMeasurement

CONSUMER = "research"
USER = "research-app"
MODEL = "research-model"
COHORT = [
    [0.038, 0.051, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.02, -0.018],
    [-0.002, -0.045, -0.051, -0.026, -0.008, -0.019, 0.074, -0.039, -0.068, -0.092],
]
PARTICIPANT = {"age": 61.0, "bmi": 31.2, "bp": 88.0, "glucose": 142.0}
PARTICIPANTS = [PARTICIPANT, {"age": 34.0, "bmi": 22.9, "bp": 71.0, "glucose": 90.0}]


def client(srv) -> ResearchClient:
    return ResearchClient(str(srv.url), "example-access-token")


def test_score_a_cohort_on_the_default_model(pact):
    (
        pact.upon_receiving("a batch of two participants for the default model")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/batch-predict")
        .with_header("Authorization", bearer())
        .with_body({"samples": COHORT}, content_type=JSON)
        .will_respond_with(200)
        .with_body(
            {
                "predictions": match.like([206.1, 98.7], min=2, max=2),
                "prediction_ids": match.like([41, 42], min=2, max=2),
                "count": 2,
                "model_id": match.int(1),
                "model_name": match.str("diabetes"),
                "model_version": match.int(1),
            },
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        assert client(srv).score_cohort(COHORT) == [206.1, 98.7]


def test_classify_by_feature_names(pact):
    (
        pact.upon_receiving("a prediction by feature names from the group's model")
        .given(PRIVATE_MODEL, user=USER, model=MODEL)
        .with_request("POST", path_with("/api/v1/models/{model_id}/predict", model_id=7))
        .with_header("Authorization", bearer())
        .with_body({"features": PARTICIPANT}, content_type=JSON)
        .will_respond_with(200)
        .with_body(
            {
                "prediction_id": match.int(42),
                "prediction": match.int(1),
                "probabilities": {"0": match.number(0.2), "1": match.number(0.8)},
                "model_id": match.int(7),
                "model_name": MODEL,
                "model_version": match.int(1),
            },
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        assert client(srv).classify(7, PARTICIPANT) == (1, 0.8)


def test_classify_a_cohort_by_feature_names(pact):
    (
        pact.upon_receiving("a batch by feature names for the group's model")
        .given(PRIVATE_MODEL, user=USER, model=MODEL)
        .with_request("POST", path_with("/api/v1/models/{model_id}/batch-predict", model_id=7))
        .with_header("Authorization", bearer())
        .with_body({"samples": PARTICIPANTS}, content_type=JSON)
        .will_respond_with(200)
        .with_body(
            {
                "predictions": match.like([1, 0], min=2, max=2),
                "prediction_ids": match.like([43, 44], min=2, max=2),
                "count": 2,
                "model_id": match.int(7),
                "model_name": MODEL,
            },
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        assert client(srv).classify_cohort(7, PARTICIPANTS) == [1, 0]


def test_a_measurement_the_model_does_not_take(pact):
    sent = {**PARTICIPANT, "cholesterol": 5.2}
    (
        pact.upon_receiving("a prediction naming a feature the group's model does not have")
        .given(PRIVATE_MODEL, user=USER, model=MODEL)
        .with_request("POST", path_with("/api/v1/models/{model_id}/predict", model_id=7))
        .with_header("Authorization", bearer())
        .with_body({"features": sent}, content_type=JSON)
        .will_respond_with(422)
        .with_body(
            problem(422, "validation_error", **field_errors("features")), content_type=PROBLEM
        )
    )
    with pact.serve() as srv, pytest.raises(UnknownMeasurement):
        client(srv).classify(7, sent)


def test_a_model_that_does_not_exist(pact):
    (
        pact.upon_receiving("a read of a model id nobody has")
        .given(ACCOUNT, user=USER)
        .given(NO_MODEL)
        .with_request("GET", "/api/v1/models/999999")
        .with_header("Authorization", bearer())
        .will_respond_with(404)
        .with_body(problem(404, "not_found"), content_type=PROBLEM)
    )
    with pact.serve() as srv, pytest.raises(ModelGone):
        client(srv).model(999999)


def test_the_groups_models(pact):
    (
        pact.upon_receiving("the group's own models")
        .given(PRIVATE_MODEL, user=USER, model=MODEL)
        .with_request("GET", "/api/v1/models")
        .with_query_parameter("owner", "me")
        .with_header("Authorization", bearer())
        .will_respond_with(200)
        .with_body(
            page_of(
                {
                    "id": match.int(7),
                    "name": MODEL,
                    "version": match.int(1),
                    "task": "classification",
                    "feature_names": FEATURE_NAMES,
                    "visibility": "private",
                }
            ),
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        assert client(srv).own_models() == [
            {"id": 7, "name": MODEL, "version": 1, "inputs": FEATURE_NAMES}
        ]


def _prediction() -> dict:
    return {
        "id": match.int(42),
        "model_id": match.int(7),
        "model_name": MODEL,
        "model_version": match.int(1),
        "features": match.each_like(61.0),
        "prediction": match.int(1),
        "created_at": timestamp(),
    }


def test_history(pact):
    (
        pact.upon_receiving("the group's prediction history, 100 a page")
        .given(PREDICTION, user=USER, model=MODEL)
        .with_request("GET", "/api/v1/predictions")
        .with_query_parameters({"page": "1", "per_page": "100"})
        .with_header("Authorization", bearer())
        .will_respond_with(200)
        .with_body(page_of(_prediction(), per_page=100), content_type=JSON)
    )
    with pact.serve() as srv:
        [row] = client(srv).history()
    assert (row["id"], row["model_name"], row["prediction"]) == (42, MODEL, 1)


def test_history_of_one_model(pact):
    (
        pact.upon_receiving("the group's prediction history with one model")
        .given(PREDICTION, user=USER, model=MODEL)
        .with_request("GET", "/api/v1/predictions")
        .with_query_parameters({"page": "1", "per_page": "100"})
        .with_query_parameter("model_id", from_state("7", "${model_id}"))
        .with_header("Authorization", bearer())
        .will_respond_with(200)
        .with_body(page_of(_prediction(), per_page=100), content_type=JSON)
    )
    with pact.serve() as srv:
        [row] = client(srv).history(model_id=7)
    assert row["model_id"] == 7
