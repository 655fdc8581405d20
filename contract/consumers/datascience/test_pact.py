"""The data scientists' expectations of mlapi (writes contract/pacts/datascience-mlapi.json).

``model.skops``: a scikit-learn 1.9 LogisticRegression on the four team features, classes
0 and 1, exported with ``skops.io.dumps`` (committed: skops names its entries after object
ids, so a new export differs byte for byte and would change the pact on every run).
"""

import pickle
from pathlib import Path

import pytest
from pact import match
from urllib3 import encode_multipart_formdata

from ..terms import (
    ACCOUNT,
    FEATURE_NAMES,
    FEEDBACK,
    JSON,
    PRIVATE_MODEL,
    PROBLEM,
    SHA256,
    bearer,
    page_of,
    path_with,
    problem,
    timestamp,
)
from .client import ExportWithSkops, ReleaseClient

CONSUMER = "datascience"
USER = "datascience-app"
MODEL = "datascience-model"
ARTIFACT = (Path(__file__).parent / "model.skops").read_bytes()
NOT_SKOPS = pickle.dumps({"weights": [0.1, 0.2]})  # refused before anything unpickles it
BOUNDARY = "mlapi-pact-boundary"  # requests picks a random one: the mock server allows any
DIGEST = "3f" * 32


def team(srv) -> ReleaseClient:
    return ReleaseClient(str(srv.url), "example-access-token")


def upload_request(interaction, artifact: bytes) -> None:
    """The multipart upload ``ReleaseClient.ship`` sends, with a fixed boundary."""
    body, content_type = encode_multipart_formdata(
        {
            "name": MODEL,
            "model_type": "sklearn",
            "feature_names": ",".join(FEATURE_NAMES),
            "description": "churn, weekly retrain",
            "file": ("model.skops", artifact, "application/octet-stream"),
        },
        boundary=BOUNDARY,
    )
    (
        interaction.with_request("POST", "/api/v1/models")
        .with_header("Authorization", bearer())
        .with_header(
            "Content-Type", match.regex(content_type, regex=r"^multipart/form-data;\s*boundary=.+$")
        )
        .with_binary_body(body, content_type)
    )


def model_record(version: int | object) -> dict:
    return {
        "id": match.int(12),
        "name": MODEL,
        "version": version,
        "model_type": "sklearn",
        "task": "classification",
        "n_features": 4,
        "feature_names": FEATURE_NAMES,
        "classes": [0, 1],
        "owner": {"id": match.int(3), "username": USER},
        "sha256": match.regex(DIGEST, regex=SHA256),
        "created_at": timestamp(),
    }


def location() -> object:
    return match.regex("/api/v1/models/12", regex=r"^(https?://[^/]+)?/api/v1/models/\d+$")


def test_ship_a_new_model(pact):
    interaction = pact.upon_receiving("an upload of a new skops model").given(ACCOUNT, user=USER)
    upload_request(interaction, ARTIFACT)
    (
        interaction.will_respond_with(201)
        .with_header("Location", location())
        .with_body(
            {**model_record(1), "visibility": "private", "size_bytes": len(ARTIFACT)},
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        release = team(srv).ship(MODEL, ARTIFACT, FEATURE_NAMES, "churn, weekly retrain")
    assert (release.model_id, release.version, release.location) == (12, 1, "/api/v1/models/12")


def test_ship_the_next_version(pact):
    interaction = pact.upon_receiving("an upload of a model name the team already has").given(
        PRIVATE_MODEL, user=USER, model=MODEL
    )
    upload_request(interaction, ARTIFACT)
    (
        interaction.will_respond_with(201)
        .with_header("Location", location())
        .with_body(model_record(2), content_type=JSON)
    )
    with pact.serve() as srv:
        release = team(srv).ship(MODEL, ARTIFACT, FEATURE_NAMES, "churn, weekly retrain")
    assert (release.name, release.version, release.sha256) == (MODEL, 2, DIGEST)


def test_a_pickle_is_refused(pact):
    interaction = pact.upon_receiving("an upload of a pickle file").given(ACCOUNT, user=USER)
    upload_request(interaction, NOT_SKOPS)
    (
        interaction.will_respond_with(422).with_body(
            problem(422, "pickle_refused"), content_type=PROBLEM
        )
    )
    with pact.serve() as srv, pytest.raises(ExportWithSkops):
        team(srv).ship(MODEL, NOT_SKOPS, FEATURE_NAMES, "churn, weekly retrain")


def test_versions_of_a_model(pact):
    (
        pact.upon_receiving("the versions of the team's model, by name")
        .given(PRIVATE_MODEL, user=USER, model=MODEL)
        .with_request("GET", "/api/v1/models")
        .with_query_parameter("name", MODEL)
        .with_header("Authorization", bearer())
        .will_respond_with(200)
        .with_body(
            page_of({"id": match.int(12), "name": MODEL, "version": match.int(1)}),
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        assert team(srv).versions(MODEL) == [1]


def test_publish_a_version(pact):
    (
        pact.upon_receiving("a private model made public")
        .given(PRIVATE_MODEL, user=USER, model=MODEL)
        .with_request("PATCH", path_with("/api/v1/models/{model_id}", model_id=12))
        .with_header("Authorization", bearer())
        .with_body({"visibility": "public"}, content_type=JSON)
        .will_respond_with(200)
        .with_body({"id": match.int(12), "name": MODEL, "visibility": "public"}, content_type=JSON)
    )
    with pact.serve() as srv:
        assert team(srv).publish(12) == "public"


def test_retire_a_version(pact):
    (
        pact.upon_receiving("the deletion of a model version")
        .given(PRIVATE_MODEL, user=USER, model=MODEL)
        .with_request("DELETE", path_with("/api/v1/models/{model_id}", model_id=12))
        .with_header("Authorization", bearer())
        .will_respond_with(204)
    )
    with pact.serve() as srv:
        team(srv).retire(12)


def test_accuracy_from_reported_outcomes(pact):
    (
        pact.upon_receiving("the metrics of a model with one reported outcome")
        .given(FEEDBACK, user=USER)
        .with_request("GET", path_with("/api/v1/models/{model_id}/metrics", model_id=12))
        .with_header("Authorization", bearer())
        .will_respond_with(200)
        .with_body(
            {
                "model_id": match.int(12),
                "prediction_count": match.int(1),
                "feedback_count": match.int(1),
                "accuracy": match.number(1.0),
                "mean_latency_ms": match.number(0.8),
            },
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        assert team(srv).accuracy(12) == (1.0, 1)
