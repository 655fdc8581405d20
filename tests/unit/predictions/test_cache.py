"""The prediction cache: identical inputs to the same model version skip the model, and are
still recorded; a new version never gets an old version's answer."""

from types import SimpleNamespace

import pytest
import skops.io as sio
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression

from mlapi.extensions import db
from mlapi.predictions import service
from mlapi.registry.models import MLModel
from mlapi.registry.service import default_model
from mlapi.registry.state import model_store
from tests.unit.helpers import ROW, expected_predictions, row

PREDICT = "/api/v1/predict"
BATCH = "/api/v1/batch-predict"
HISTORY = "/api/v1/predictions"


def predict(client, headers, features) -> dict:
    response = client.post(PREDICT, json={"features": features}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def publish_default_version_2(app) -> None:
    """Upload (directly) a version 2 of the default model that answers twice as high, and
    make it the default."""
    data = load_diabetes()
    artifact = sio.dumps(LinearRegression().fit(data.data, data.target * 2))
    with app.app_context():
        v1 = default_model()
        v1.is_default = False
        db.session.flush()
        db.session.add(
            MLModel(
                owner_id=v1.owner_id,
                name=v1.name,
                version=2,
                model_type="sklearn",
                task=v1.task,
                n_features=v1.n_features,
                feature_names=v1.feature_names,
                visibility="public",
                sha256=model_store().put(artifact),
                size_bytes=len(artifact),
                is_default=True,
            )
        )
        db.session.commit()


def test_identical_input_is_answered_from_cache_without_calling_the_model(
    client, auth_headers, model_calls
):
    first = predict(client, auth_headers, ROW)
    second = predict(client, auth_headers, ROW)

    assert (first["cached"], second["cached"]) == (False, True)
    assert second["prediction"] == first["prediction"]
    assert len(model_calls) == 1


def test_different_input_calls_the_model_again(client, auth_headers, model_calls):
    predict(client, auth_headers, ROW)

    answer = predict(client, auth_headers, row(0.01))

    assert answer["cached"] is False
    assert len(model_calls) == 2


def test_cache_is_kept_per_user(client, make_user, sign_in, model_calls):
    """The per-caller cache (tests/security/test_prediction_cache_privacy.py has more)."""
    alice, bob = sign_in(make_user()), sign_in(make_user())
    predict(client, alice.headers, ROW)

    assert predict(client, bob.headers, ROW)["cached"] is False
    assert len(model_calls) == 2


def test_cached_predictions_are_recorded_in_history_too(client, auth_headers):
    first = predict(client, auth_headers, ROW)
    second = predict(client, auth_headers, ROW)

    items = client.get(HISTORY, headers=auth_headers).get_json()["items"]

    assert [(i["id"], i["cached"]) for i in items] == [
        (second["prediction_id"], True),
        (first["prediction_id"], False),
    ]


def test_batch_asks_the_model_only_about_uncached_samples(client, auth_headers, model_calls):
    predict(client, auth_headers, ROW)
    model_calls.clear()
    samples = [row(0.01), ROW, row(0.02)]

    response = client.post(BATCH, json={"samples": samples}, headers=auth_headers).get_json()

    assert model_calls == [[tuple(row(0.01)), tuple(row(0.02))]]
    assert response["predictions"] == pytest.approx(expected_predictions(samples), rel=1e-9)
    cached = {
        i["id"]: i["cached"] for i in client.get(HISTORY, headers=auth_headers).get_json()["items"]
    }
    assert [cached[i] for i in response["prediction_ids"]] == [False, True, False]


def test_new_default_version_never_gets_the_old_versions_answer(
    private_model_store, configured_app, request
):
    app = configured_app()
    client, headers = app.test_client(), request.getfixturevalue("auth_headers")
    old = predict(client, headers, ROW)
    assert predict(client, headers, ROW)["cached"] is True

    publish_default_version_2(app)
    new = predict(client, headers, ROW)

    assert new["model_version"] == 2
    assert new["cached"] is False
    assert new["prediction"] == pytest.approx(2 * old["prediction"], rel=1e-9)


@pytest.mark.parametrize(
    ("changes", "same_entry"),
    [
        ({}, True),
        ({"version": 2}, False),
        ({"id": 2}, False),
        ({"user": 8}, False),
    ],
    ids=["same-model-and-version", "other-version", "other-model", "other-user"],
)
def test_cache_entry_is_keyed_by_model_version_and_user(changes, same_entry):
    model = SimpleNamespace(id=1, version=1)
    other = SimpleNamespace(**{**vars(model), **changes})

    key = service.cache_key(model, 7, tuple(ROW))
    other_key = service.cache_key(other, getattr(other, "user", 7), tuple(ROW))

    assert (key == other_key) is same_entry
