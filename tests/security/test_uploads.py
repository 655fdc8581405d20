"""Hostile model uploads: code disguised as a model, damaged artifacts, bombs, wrong types.

Already covered elsewhere, not repeated here:
- tests/unit/registry/test_upload_files.py: a plain pickle refused by default
  (``pickle_refused``, explaining why and how), accepted when the operator allows it, a
  stored pickle refused once pickles are disallowed; ``FunctionTransformer(os.system)``
  refused as ``untrusted_model``; files over ``MAX_MODEL_BYTES`` refused with 413 whether
  declared by Content-Length or streamed; a JSON body to the upload refused with 415.
- tests/unit/registry/test_loader.py: custom classes, ``eval`` and ``os.system`` refused
  by name by the loader; a pickle with a ``__reduce__`` payload never unpickled.
- tests/unit/registry/test_store.py, test_db_store.py: the stores refuse bytes that fail
  their digest.

What this file adds: joblib's compressed files (what ``joblib.dump(compress=...)``
writes) are pickles too; an untrusted skops upload leaves nothing behind; a tampered
artifact is refused through the API on both stores and reported to the operator; a zip
bomb is refused before it is inflated; every endpoint taking a body refuses other media
types (generated from the OpenAPI document).
"""

import io
import logging
import tracemalloc
import zipfile
from functools import cache

import joblib
import pytest
import skops.io as sio
from sqlalchemy import update

from mlapi.extensions import db
from mlapi.registry.db_store import ModelArtifact
from tests.security.test_injection import OPERATIONS, concrete
from tests.steps.common_steps import assert_refused
from tests.support.model_files import _fitted, model_file
from tests.unit.helpers import ROW, artifacts_in
from tests.unit.registry.test_loader import HomeMadeModel
from tests.unit.registry.test_upload import form_for, post_form

COMPRESSIONS = [0, 3, ("gzip", 3), ("bz2", 3), ("lzma", 3), ("xz", 3)]


def joblib_file(compress) -> bytes:
    out = io.BytesIO()
    joblib.dump(_fitted("regressor"), out, compress=compress)
    return out.getvalue()


def upload_bytes(client, headers, content: bytes, name: str = "churn"):
    return post_form(client, headers, **form_for(name=name, file=(io.BytesIO(content), name)))


def model_count(client, headers) -> int:
    return client.get("/api/v1/models?owner=me", headers=headers).get_json()["total"]


@pytest.mark.parametrize("compress", COMPRESSIONS, ids=str)
def test_joblib_files_are_refused_as_pickles_and_leave_nothing(
    client, auth_headers, private_model_store, compress
):
    """joblib compresses the pickle it writes; compressed or not, loading it runs code."""
    stored = artifacts_in(private_model_store)

    response = upload_bytes(client, auth_headers, joblib_file(compress))

    assert "MLAPI_ALLOW_PICKLE" in assert_refused(response, 422, "pickle_refused")["detail"]
    assert artifacts_in(private_model_store) == stored
    assert model_count(client, auth_headers) == 0


def test_a_compressed_joblib_file_loads_when_the_operator_allows_pickles(configured_app, request):
    configured_app(ALLOW_PICKLE=True)
    client, headers = request.getfixturevalue("client"), request.getfixturevalue("auth_headers")

    response = upload_bytes(client, headers, joblib_file(("gzip", 3)))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["n_features"] == 10


def test_a_skops_file_of_an_unvetted_class_is_refused_and_leaves_nothing(
    client, auth_headers, private_model_store
):
    stored = artifacts_in(private_model_store)

    response = upload_bytes(client, auth_headers, sio.dumps(HomeMadeModel()))

    body = assert_refused(response, 422, "untrusted_model")
    assert "HomeMadeModel" in body["detail"]
    assert artifacts_in(private_model_store) == stored
    assert model_count(client, auth_headers) == 0


def _tamper_file(app, sha256: str) -> None:
    path = app.config["MODEL_STORE"] + f"/{sha256[:2]}/{sha256}"
    with open(path, "r+b") as artifact:
        artifact.seek(100)
        byte = artifact.read(1)
        artifact.seek(100)
        artifact.write(bytes([byte[0] ^ 0xFF]))


def _tamper_row(app, sha256: str) -> None:
    with app.app_context():
        db.session.execute(
            update(ModelArtifact)
            .where(ModelArtifact.sha256 == sha256)
            .values(data=model_file("classifier"))
        )
        db.session.commit()


@pytest.mark.parametrize(("store", "tamper"), [("files", _tamper_file), ("db", _tamper_row)])
def test_a_tampered_artifact_is_refused_and_reported(
    configured_app, request, caplog, store, tamper
):
    """Someone with write access to the store changes the bytes after the upload: the
    server refuses to load them (they no longer match the recorded sha256) rather than
    serve a model nobody uploaded, and tells the operator which artifact failed."""
    app = configured_app() if store == "files" else configured_app(MODEL_STORE="db")
    client, headers = request.getfixturevalue("client"), request.getfixturevalue("auth_headers")
    record = request.getfixturevalue("upload_model")(headers, "churn")
    tamper(app, record["sha256"])

    with caplog.at_level(logging.ERROR, logger="mlapi.registry"):
        response = client.post(
            f"/api/v1/models/{record['id']}/predict", json={"features": ROW}, headers=headers
        )

    body = assert_refused(response, 503, "model_unavailable")
    assert record["sha256"] not in str(body)
    assert any(
        record["sha256"][:12] in message and "checksum" in message for message in caplog.messages
    ), caplog.messages


@cache
def zip_bomb(unpacked: int) -> bytes:
    """A real skops archive of a fitted model whose schema.json is padded with
    whitespace (still valid JSON) to ``unpacked`` bytes, deflated to a few kilobytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(model_file("regressor"))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb,
    ):
        for entry in source.infolist():
            content = source.read(entry)
            if entry.filename == "schema.json":
                with bomb.open("schema.json", "w") as padded:
                    padded.write(content)
                    for _ in range((unpacked - len(content)) // (1 << 20)):
                        padded.write(b" " * (1 << 20))
            else:
                bomb.writestr(entry, content)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_inflated(configured_app, request, private_model_store):
    """64 MiB of model packed into a few kilobytes, on a server taking 1 MB models: 413,
    and the request allocates a small fraction of what inflating it would."""
    configured_app(MAX_MODEL_BYTES=1_000_000)
    client, headers = request.getfixturevalue("client"), request.getfixturevalue("auth_headers")
    bomb = zip_bomb(64 << 20)
    assert len(bomb) < 1_000_000
    stored = artifacts_in(private_model_store)

    tracemalloc.start()
    try:
        response = upload_bytes(client, headers, bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert "unpack" in assert_refused(response, 413, "payload_too_large")["detail"]
    assert peak < 16 << 20, f"peak {peak} bytes"
    assert artifacts_in(private_model_store) == stored


def _body_operations():
    return [pytest.param(op, id=op.id) for op in OPERATIONS if op.media_type]


WRONG_TYPES = {
    "application/json": [
        ("text/plain", b'{"name": "x"}'),
        ("application/xml", b"<x/>"),
        ("application/x-www-form-urlencoded", b"name=x"),
        ("multipart/form-data; boundary=b", b"--b--\r\n"),
    ],
    "multipart/form-data": [
        ("application/json", b'{"name": "x"}'),
        ("application/octet-stream", model_file("regressor")),
        ("application/zip", model_file("regressor")),
        ("text/plain", b"name=x"),
    ],
}


@pytest.mark.parametrize("op", _body_operations())
def test_every_body_in_another_media_type_is_refused(client, auth_headers, admin_headers, op):
    """Each operation's body in a media type its OpenAPI entry does not list: 415 (to a
    caller allowed on the operation: a role's 403 comes before the body's faults)."""
    path = concrete(op.path)
    headers = admin_headers if op.path.startswith("/api/v1/admin/") else auth_headers
    for content_type, data in WRONG_TYPES[op.media_type]:
        response = client.open(
            path, method=op.method, data=data, content_type=content_type, headers=headers
        )

        assert_refused(response, 415, "unsupported_media_type")
