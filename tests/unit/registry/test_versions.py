"""Versions: one per upload of a name by its owner, never reused, also under concurrency;
and a failed upload leaves neither a record nor an artifact behind."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from mlapi.extensions import db
from mlapi.registry.models import MLModel
from mlapi.registry.state import model_store
from tests.support.model_files import model_file
from tests.unit.registry.test_upload import form_for, post_form


def test_each_upload_of_a_name_is_the_next_version(upload_model, auth_headers):
    versions = [upload_model(auth_headers, "churn")["version"] for _ in range(3)]

    assert versions == [1, 2, 3]


def test_versions_are_counted_per_owner_and_per_name(
    upload_model, make_user, sign_in, auth_headers
):
    other = sign_in(make_user()).headers
    upload_model(auth_headers, "churn")

    assert upload_model(other, "churn")["version"] == 1
    assert upload_model(auth_headers, "Churn")["version"] == 1  # names are case-sensitive
    assert upload_model(auth_headers, "churn")["version"] == 2


def test_a_deleted_version_is_never_reused(client, upload_model, auth_headers):
    first = upload_model(auth_headers, "churn")
    second = upload_model(auth_headers, "churn")
    for record in (first, second):
        assert (
            client.delete(f"/api/v1/models/{record['id']}", headers=auth_headers).status_code == 204
        )

    assert upload_model(auth_headers, "churn")["version"] == 3


def test_concurrent_uploads_of_one_name_get_versions_one_to_ten(app, auth_headers):
    uploads = 10
    start = threading.Barrier(uploads)

    def upload(_index):
        client = app.test_client()
        start.wait()
        response = post_form(client, auth_headers, **form_for())
        assert response.status_code == 201, response.get_json()
        return response.get_json()["version"]

    with ThreadPoolExecutor(max_workers=uploads) as pool:
        versions = list(pool.map(upload, range(uploads)))

    assert sorted(versions) == list(range(1, uploads + 1))


@pytest.fixture
def failing_commit(monkeypatch):
    """The next commit that inserts a model fails, as a database might (the upload flushes
    the record before its commit, for the registry's signal: see the flushes too)."""

    real_commit = db.session.commit
    flushed = []

    def note_inserts(session, _context):
        flushed.extend(obj for obj in session.new if isinstance(obj, MLModel))

    test_thread = threading.current_thread()

    def commit():
        # Only the upload's commit, on the test's thread: a thread of another test's app
        # still running in this process (a webhook worker) commits through db.session too.
        mine = threading.current_thread() is test_thread
        if mine and any(isinstance(obj, MLModel) for obj in (*db.session.new, *flushed)):
            flushed.clear()
            raise RuntimeError("the database went away")
        return real_commit()

    monkeypatch.setattr(db.session, "commit", commit)
    event.listen(Session, "after_flush", note_inserts)
    yield
    event.remove(Session, "after_flush", note_inserts)


def test_a_failed_commit_leaves_neither_record_nor_artifact(configured_app, request):
    app = configured_app(PROPAGATE_EXCEPTIONS=False)
    headers = request.getfixturevalue("auth_headers")
    client = request.getfixturevalue("client")
    request.getfixturevalue("failing_commit")
    form = form_for("classifier")

    response = post_form(client, headers, **form)

    assert response.status_code == 500
    with app.app_context():
        assert db.session.scalars(select(MLModel).where(MLModel.name == "churn")).all() == []
        assert not model_store().exists(_sha(model_file("classifier")))


def test_a_failed_commit_keeps_an_artifact_another_model_uses(configured_app, request):
    app = configured_app(PROPAGATE_EXCEPTIONS=False)
    headers = request.getfixturevalue("auth_headers")
    client = request.getfixturevalue("client")
    request.getfixturevalue("upload_model")(headers, "kept", kind="classifier")
    request.getfixturevalue("failing_commit")

    assert post_form(client, headers, **form_for("classifier")).status_code == 500

    with app.app_context():
        assert model_store().exists(_sha(model_file("classifier")))


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_uploads_that_keep_colliding_are_asked_to_retry(client, auth_headers, monkeypatch):
    from mlapi.registry import upload

    monkeypatch.setattr(upload, "MAX_VERSION_ATTEMPTS", 0)

    response = post_form(client, auth_headers, **form_for())

    assert response.status_code == 409
    assert response.get_json()["code"] == "conflict"
