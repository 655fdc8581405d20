"""The default model: the same bytes on every install, restored when missing, refused when
damaged."""

import hashlib

import pytest
import skops.io as sio
from sklearn.datasets import load_diabetes

from mlapi.auth.models import SYSTEM_USERNAME
from mlapi.registry.default_model import build_default_artifact
from mlapi.registry.service import default_model
from tests.unit.helpers import ROW, artifacts_in, assert_problem, expected_predictions

PREDICT = "/api/v1/predict"


@pytest.fixture(scope="module")
def built() -> tuple[bytes, list[str]]:
    return build_default_artifact()


def test_default_artifact_is_byte_for_byte_reproducible(built):
    again, _names = build_default_artifact()

    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(built[0]).hexdigest()


def test_installed_default_model_has_the_reproducible_sha256(app, built):
    with app.app_context():
        installed = default_model().sha256

    assert installed == hashlib.sha256(built[0]).hexdigest()


def test_default_artifact_is_skops_with_only_trusted_types(built):
    assert sio.get_untrusted_types(data=built[0]) == []


def test_default_model_record(app):
    with app.app_context():
        record = default_model()
        owner = record.owner.username
        fields = (
            record.name,
            record.version,
            record.task,
            record.visibility,
            record.n_features,
            record.feature_names,
        )

    assert owner == SYSTEM_USERNAME
    assert fields == (
        "diabetes-linear",
        1,
        "regression",
        "public",
        10,
        list(load_diabetes().feature_names),
    )


def test_missing_default_artifact_is_rebuilt_at_start(private_model_store, configured_app, request):
    [artifact] = artifacts_in(private_model_store)
    artifact.unlink()

    app = configured_app()

    assert artifacts_in(private_model_store) == [artifact]
    headers = request.getfixturevalue("auth_headers")
    response = app.test_client().post(PREDICT, json={"features": ROW}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["prediction"] == pytest.approx(expected_predictions([ROW])[0])


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(path.read_bytes()[:-10]),
        lambda path: path.write_bytes(b"PK\x03\x04 not the model any more"),
        lambda path: path.unlink(),
    ],
    ids=["truncated", "overwritten", "deleted"],
)
def test_damaged_artifact_gives_model_unavailable(
    private_model_store, configured_app, request, damage
):
    app = configured_app()
    headers = request.getfixturevalue("auth_headers")
    [artifact] = artifacts_in(private_model_store)
    damage(artifact)

    response = app.test_client().post(PREDICT, json={"features": ROW}, headers=headers)

    body = assert_problem(response, 503, "model_unavailable")
    assert str(private_model_store) not in body["detail"]
    assert artifact.name not in response.get_data(as_text=True)
