"""A model that cannot answer: its artifact gone from the store, or its ``predict`` raising.

The caller gets a problem it can act on (503 ``model_unavailable``, 500 ``internal_error``)
with no traceback, path or digest in it; the operator gets an ERROR log line carrying the
request id the caller saw; and the process keeps serving every other model, and the same
one as soon as it is fixed (no failure is cached, no restart needed).

Artifacts damaged on disk (truncated, overwritten, deleted) for the default model, and a
stored pickle once pickles are disallowed, are covered by
tests/unit/registry/test_default_model.py and tests/unit/registry/test_upload_files.py;
an unexpected error in any route by tests/unit/test_errors.py. These tests add the
database store, uploaded models, recovery and the model's own failures.
"""

import io
import logging

import numpy as np
import pytest
import skops.io as sio

from mlapi.extensions import db
from mlapi.registry.models import MLModel
from mlapi.registry.state import loaded_models, model_store
from tests.support.model_files import _fitted, model_file
from tests.unit.helpers import ROW, assert_problem
from tests.unit.registry.test_upload import post_form

IRIS_ROW = [5.1, 3.5, 1.4, 0.2]
PREDICT = "/api/v1/predict"


@pytest.fixture(params=["file", "db"])
def store_app(request, configured_app):
    """The test's app with its artifacts in a folder, then in the database."""
    settings = {"MODEL_STORE": "db"} if request.param == "db" else {}
    return configured_app(PROPAGATE_EXCEPTIONS=False, **settings)


def model_url(model: dict, action: str = "predict") -> str:
    return f"/api/v1/models/{model['id']}/{action}"


def remove_artifact(app, sha256: str) -> None:
    """What an operator's mistake or a lost disk does: the bytes leave the store."""
    with app.app_context():
        model_store().delete(sha256)
        db.session.commit()  # the database store deletes at commit
        assert not model_store().exists(sha256)


def restore_artifact(app, data: bytes) -> None:
    with app.app_context():
        model_store().put(data)
        db.session.commit()


def assert_no_internals(response, *secrets: str) -> None:
    text = response.get_data(as_text=True)
    for secret in ("Traceback", 'File "', *secrets):
        assert secret not in text, text


def test_a_missing_artifact_is_model_unavailable_and_comes_back_with_it(store_app, request, caplog):
    client, headers = store_app.test_client(), request.getfixturevalue("auth_headers")
    model = request.getfixturevalue("upload_model")(headers, "iris", kind="classifier")
    remove_artifact(store_app, model["sha256"])

    with caplog.at_level(logging.ERROR, logger="mlapi"):
        single = client.post(model_url(model), json={"features": IRIS_ROW}, headers=headers)
        batch = client.post(
            model_url(model, "batch-predict"), json={"samples": [IRIS_ROW]}, headers=headers
        )

    for response in (single, batch):
        body = assert_problem(response, 503, "model_unavailable")
        assert "artifact" in body["detail"]
        assert_no_internals(response, model["sha256"][:12], "models/")
    assert any(r.levelno == logging.ERROR and "iris" in r.getMessage() for r in caplog.records)
    # The rest of the service is unaffected...
    assert client.post(PREDICT, json={"features": ROW}, headers=headers).status_code == 200
    assert client.get(f"/api/v1/models/{model['id']}", headers=headers).status_code == 200
    # ... and the model answers again as soon as its bytes are back: nothing was cached.
    restore_artifact(store_app, model_file("classifier"))
    answered = client.post(model_url(model), json={"features": IRIS_ROW}, headers=headers)
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["prediction"] == 0


def test_a_missing_default_artifact_in_the_database_store_is_reported(configured_app, request):
    """With ``MLAPI_MODEL_STORE=db`` every host reads the same row: losing it is an outage
    of the default model that predictions and readiness both report."""
    app = configured_app(MODEL_STORE="db")
    client, headers = app.test_client(), request.getfixturevalue("auth_headers")
    default = client.get("/health").get_json()["default_model"]
    with app.app_context():
        sha256 = db.session.get(MLModel, default["id"]).sha256
    remove_artifact(app, sha256)

    assert_problem(
        client.post(PREDICT, json={"features": ROW}, headers=headers), 503, "model_unavailable"
    )
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["status"] == "not_ready"
    assert client.get("/health").status_code == 200  # the database itself is fine


def broken_regressor() -> bytes:
    """A skops file that loads and describes itself as a 10-feature regressor, but whose
    coefficients do not fit its inputs: every ``predict`` raises ValueError, as a model
    damaged by a bad export does."""
    estimator = _fitted("regressor")
    estimator.coef_ = np.zeros(3)
    return sio.dumps(estimator)


def upload_bytes(client, headers, name: str, data: bytes) -> dict:
    response = post_form(
        client, headers, name=name, model_type="sklearn", file=(io.BytesIO(data), f"{name}.skops")
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def error_records_of(caplog, request_id: str) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.levelno == logging.ERROR and request_id in r.getMessage()
    ]


def test_a_model_whose_predict_raises_is_a_logged_500_and_others_keep_answering(
    store_app, request, caplog
):
    client, headers = store_app.test_client(), request.getfixturevalue("auth_headers")
    broken = upload_bytes(client, headers, "broken", broken_regressor())

    with caplog.at_level(logging.ERROR, logger="mlapi"):
        response = client.post(model_url(broken), json={"features": ROW}, headers=headers)

    body = assert_problem(response, 500, "internal_error")
    request_id = response.headers["X-Request-ID"]
    assert request_id in body["detail"]  # what the caller quotes to the operator
    assert_no_internals(response, "matmul", "ValueError", "coef_")
    [record] = error_records_of(caplog, request_id)
    assert record.exc_info is not None  # the traceback goes to the log, not the client
    assert isinstance(record.exc_info[1], ValueError)
    # The worker keeps serving: other models, and its history has no row for the failure.
    assert client.post(PREDICT, json={"features": ROW}, headers=headers).status_code == 200
    history = client.get(f"/api/v1/predictions?model_id={broken['id']}", headers=headers)
    assert history.get_json()["total"] == 0


def test_a_model_that_failed_answers_again_once_fixed(configured_app, request, monkeypatch, caplog):
    """A transient failure inside the estimator (out of memory, a library bug): the failed
    call is not cached as an answer, and the next call after the fix computes afresh."""
    app = configured_app(PROPAGATE_EXCEPTIONS=False)
    client, auth_headers = app.test_client(), request.getfixturevalue("auth_headers")
    model = request.getfixturevalue("upload_model")(auth_headers, "iris", kind="classifier")
    url = model_url(model)
    assert (
        client.post(url, json={"features": [5.0, 3.0, 1.5, 0.2]}, headers=auth_headers).status_code
        == 200
    )
    with app.app_context():
        estimator = loaded_models().get((model["id"], model["sha256"]))
    assert estimator is not None  # warm: the next call uses this very object

    def out_of_memory(_rows):
        raise MemoryError("could not allocate")

    monkeypatch.setattr(estimator, "predict", out_of_memory)
    with caplog.at_level(logging.ERROR, logger="mlapi"):
        failed = client.post(url, json={"features": IRIS_ROW}, headers=auth_headers)
    assert_problem(failed, 500, "internal_error")
    assert error_records_of(caplog, failed.headers["X-Request-ID"])

    monkeypatch.undo()  # fixed
    answered = client.post(url, json={"features": IRIS_ROW}, headers=auth_headers)
    assert answered.status_code == 200, answered.get_json()
    assert (answered.get_json()["prediction"], answered.get_json()["cached"]) == (0, False)
