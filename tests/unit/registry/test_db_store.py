"""The database model store (``MODEL_STORE=db``): artifacts in a table every host reads,
content-addressed, checked on every read, committed with their record and removed with
the last live record that uses them."""

import hashlib
import io

import pytest
from sqlalchemy import func, select, update

from mlapi import create_app
from mlapi.extensions import db
from mlapi.registry import upload as upload_module
from mlapi.registry.db_store import DatabaseModelStore, ModelArtifact
from mlapi.registry.default_model import build_default_artifact
from mlapi.registry.service import default_model
from mlapi.registry.signals import model_created
from mlapi.registry.state import model_store
from mlapi.registry.store import ArtifactUnavailable
from tests.contract_client import ContractClient
from tests.support.model_files import model_file
from tests.unit.helpers import ROW, assert_problem, expected_predictions

BLOB = b"model bytes \x00\x01\x02" * 100
MODELS = "/api/v1/models"


@pytest.fixture
def app_config(app_config):
    """Every app of this module keeps its artifacts in the database."""
    app_config["MODEL_STORE"] = "db"
    return app_config


def artifact_digests(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(ModelArtifact.sha256)))


def predict(client, model_id: int, headers: dict):
    return client.post(f"{MODELS}/{model_id}/predict", json={"features": ROW}, headers=headers)


# --- the store itself ---


def test_the_app_uses_the_database_store(app):
    with app.app_context():
        assert isinstance(model_store(), DatabaseModelStore)


def test_put_then_get_round_trips_once_committed(app):
    with app.app_context():
        digest = model_store().put(BLOB)
        db.session.commit()
    with app.app_context():
        store = model_store()
        assert digest == hashlib.sha256(BLOB).hexdigest()
        assert store.exists(digest)
        assert store.get(digest) == BLOB
        assert db.session.get(ModelArtifact, digest).size == len(BLOB)


def test_same_bytes_are_stored_once(app):
    with app.app_context():
        store = model_store()
        assert store.put(BLOB) == store.put(BLOB)
        db.session.commit()
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(ModelArtifact)
                .where(ModelArtifact.sha256 == hashlib.sha256(BLOB).hexdigest())
            )
            == 1
        )


def test_a_rolled_back_put_leaves_nothing(app):
    with app.app_context():
        digest = model_store().put(BLOB)
        db.session.rollback()
        assert not model_store().exists(digest)


@pytest.mark.parametrize("tamper", [BLOB[:-1] + b"!", b"another model"], ids=["damaged", "swapped"])
def test_a_tampered_row_is_refused(app, tamper):
    with app.app_context():
        digest = model_store().put(BLOB)
        db.session.commit()
        db.session.execute(
            update(ModelArtifact).where(ModelArtifact.sha256 == digest).values(data=tamper)
        )
        db.session.commit()
        with pytest.raises(ArtifactUnavailable, match="checksum"):
            model_store().get(digest)


def test_a_missing_artifact_is_unavailable(app):
    with app.app_context(), pytest.raises(ArtifactUnavailable, match="missing"):
        model_store().get(hashlib.sha256(b"never stored").hexdigest())


def test_delete_takes_effect_at_commit_and_twice_is_not_an_error(app):
    with app.app_context():
        digest = model_store().put(BLOB)
        db.session.commit()
        model_store().delete(digest)
        model_store().delete(digest)
        db.session.commit()
        assert not model_store().exists(digest)


@pytest.mark.parametrize("digest", ["../../etc/passwd", "a" * 63, "A" * 64, ""])
def test_only_sha256_hex_digests_name_artifacts(app, digest):
    with app.app_context(), pytest.raises(ValueError, match="sha256"):
        model_store().get(digest)


# --- the default model, uploads, predictions, deletes ---


def test_the_default_model_is_bootstrapped_into_the_database(app, client, auth_headers):
    with app.app_context():
        sha256 = default_model().sha256
    assert sha256 in artifact_digests(app)
    assert sha256 == hashlib.sha256(build_default_artifact()[0]).hexdigest()

    response = client.post("/api/v1/predict", json={"features": ROW}, headers=auth_headers)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["prediction"] == pytest.approx(expected_predictions([ROW])[0])


def test_upload_then_predict(app, client, auth_headers, upload_model):
    model = upload_model(auth_headers, "churn")

    assert model["sha256"] in artifact_digests(app)
    response = predict(client, model["id"], auth_headers)
    assert response.status_code == 200, response.get_json()


def test_a_failed_upload_leaves_no_artifact_row(app, client, auth_headers):
    def refuse(_app, **_payload):
        raise RuntimeError("the queue is broken")

    before = artifact_digests(app)
    form = {
        "name": "churn",
        "model_type": "sklearn",
        "file": (io.BytesIO(model_file("classifier")), "m.skops"),
    }

    with model_created.connected_to(refuse, sender=app):  # fails inside the transaction
        response = client.post(
            MODELS, data=form, headers=auth_headers, content_type="multipart/form-data"
        )

    assert response.status_code == 500
    assert artifact_digests(app) == before


def test_a_version_collision_retries_with_the_artifact_row_too(
    app, client, auth_headers, upload_model, monkeypatch
):
    """The retry after a lost race rolls back; the artifact row must be written again."""
    upload_model(auth_headers, "churn", kind="regressor")
    real = upload_module._next_version
    calls = []

    def stale_first(*namespace_and_name):
        calls.append(namespace_and_name)
        return 1 if len(calls) == 1 else real(*namespace_and_name)  # v1 taken: IntegrityError

    monkeypatch.setattr(upload_module, "_next_version", stale_first)
    second = upload_model(auth_headers, "churn", kind="classifier")

    assert len(calls) == 2
    assert second["version"] == 2
    assert second["sha256"] in artifact_digests(app)
    response = client.post(
        f"{MODELS}/{second['id']}/predict", json={"features": ROW[:4]}, headers=auth_headers
    )
    assert response.status_code == 200, response.get_json()


def test_delete_keeps_an_artifact_another_live_model_uses(
    app, client, make_user, sign_in, upload_model
):
    alice, bob = sign_in(make_user()).headers, sign_in(make_user()).headers
    first = upload_model(alice, "same-bytes")
    second = upload_model(bob, "same-bytes-too")
    assert first["sha256"] == second["sha256"]

    assert client.delete(f"{MODELS}/{first['id']}", headers=alice).status_code == 204

    assert first["sha256"] in artifact_digests(app)
    assert predict(client, second["id"], bob).status_code == 200

    assert client.delete(f"{MODELS}/{second['id']}", headers=bob).status_code == 204

    assert first["sha256"] not in artifact_digests(app)


def test_two_hosts_share_uploads_and_deletes(
    app_config, tmp_path, make_user, sign_in, upload_model, client
):
    """Host A (the test's app) and host B: different instance folders, one database."""
    host_b = create_app({**app_config, "INSTANCE_PATH": str(tmp_path / "host-b")})
    host_b.test_client_class = ContractClient
    b = host_b.test_client()
    headers = sign_in(make_user()).headers
    model = upload_model(headers, "shared")  # on host A

    try:
        first = predict(b, model["id"], headers)
        second = predict(b, model["id"], headers)
        assert first.status_code == 200, first.get_json()
        assert second.get_json()["cached"] is True  # warm on B: estimator and answer

        assert client.delete(f"{MODELS}/{model['id']}", headers=headers).status_code == 204

        assert_problem(predict(b, model["id"], headers), 404, "not_found")
    finally:
        with host_b.app_context():
            db.session.remove()
            db.engine.dispose()
