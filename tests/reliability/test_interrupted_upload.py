"""An upload interrupted between writing its artifact and committing its record.

Whatever stops it there (a failed commit, the worker told to stop, the worker killed
outright), no record is left, no artifact nobody references stays in the store (file or
``db``), nothing under an artifact's name is half-written, and the same upload tried again
succeeds as version 1 (no lock left held, no version used up).

A plain error in the commit, with the file store, and a failing webhook queue with the
database store, are covered by tests/unit/registry/test_versions.py and
tests/unit/registry/test_db_store.py; the atomic write of one file by
tests/unit/registry/test_store.py. These tests add the worker stopping (``SystemExit``:
what gunicorn's timeout raises in a sync worker) and being killed (SIGKILL, in a process of
its own) after the artifact and the record have reached the store and the database, and
the database going away at that moment (so the clean-up cannot ask it which records use
the artifact).
"""

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mlapi import create_app
from mlapi.extensions import db
from mlapi.registry.db_store import ModelArtifact
from mlapi.registry.models import MLModel
from mlapi.registry.store import sha256_of
from tests.reliability import test_model_faults
from tests.reliability.test_database_outage import Outage
from tests.support.model_files import model_file
from tests.unit.helpers import artifacts_in, assert_problem
from tests.unit.registry.test_upload import form_for, post_form

NAME = "interrupted"
KIND = "classifier"

store_app = test_model_faults.store_app  # the test's app with each store: file, then db


def store_contents(app) -> dict:
    """Every artifact the store holds, with the digest of its bytes, and every file the
    folder holds (temporary ones included); and the model records of ``NAME``."""
    with app.app_context():
        records = db.session.scalar(select(func.count()).where(MLModel.name == NAME))
        if app.config["MODEL_STORE"] == "db":
            artifacts = {
                sha: sha256_of(data)
                for sha, data in db.session.execute(
                    select(ModelArtifact.sha256, ModelArtifact.data)
                )
            }
            files = []
        else:
            root = Path(app.config["MODEL_STORE"])
            artifacts = {path.name: sha256_of(path.read_bytes()) for path in artifacts_in(root)}
            files = sorted(
                str(p.relative_to(root))
                for p in root.rglob("*")
                if p.is_file() and p.name != ".registry.lock"
            )
    return {"records": records, "artifacts": artifacts, "files": files}


def assert_nothing_left_and_retry_is_version_1(app, before: dict, client, headers) -> None:
    after = store_contents(app)
    assert after["records"] == 0
    assert after["artifacts"] == before["artifacts"]  # nothing added, nothing half-written
    assert after["files"] == before["files"]  # no temporary file either
    assert sha256_of(model_file(KIND)) not in after["artifacts"]

    retried = post_form(client, headers, **form_for(KIND, name=NAME))
    assert retried.status_code == 201, retried.get_json()
    assert retried.get_json()["version"] == 1
    answered = client.post(
        f"/api/v1/models/{retried.get_json()['id']}/predict",
        json={"features": [5.1, 3.5, 1.4, 0.2]},
        headers=headers,
    )
    assert answered.status_code == 200, answered.get_json()


def before_model_commit(monkeypatch, request, interrupt) -> None:
    """The commit of a new model record (flushed before it, for the registry's signal: the
    record and, with the database store, the artifact row are in the database) calls
    ``interrupt()``, which may raise, and only then commits."""
    real_commit = db.session.commit
    flushed = []

    def note_inserts(session, _context):
        flushed.extend(obj for obj in session.new if isinstance(obj, MLModel))

    test_thread = threading.current_thread()

    def commit():
        # Only the upload's commit, on the test's thread: a thread of another test's app
        # still running in this process (a webhook worker) commits through db.session too.
        mine = threading.current_thread() is test_thread
        if mine and (flushed or any(isinstance(obj, MLModel) for obj in db.session.new)):
            flushed.clear()
            db.session.flush()
            interrupt()
        return real_commit()

    monkeypatch.setattr(db.session, "commit", commit)
    event.listen(Session, "after_flush", note_inserts)
    request.addfinalizer(lambda: event.remove(Session, "after_flush", note_inserts))


@pytest.mark.parametrize(
    "exception",
    [SystemExit(1), ConnectionResetError("server closed")],
    ids=["worker-stopped", "commit-failed"],
)
def test_an_interrupted_upload_leaves_nothing_and_can_be_retried(
    store_app, request, monkeypatch, exception
):
    client, headers = store_app.test_client(), request.getfixturevalue("auth_headers")
    before = store_contents(store_app)

    def interrupt():
        raise exception

    before_model_commit(monkeypatch, request, interrupt)
    if isinstance(exception, SystemExit):  # not an error the app answers: the worker ends
        with pytest.raises(SystemExit):
            post_form(client, headers, **form_for(KIND, name=NAME))
    else:
        assert post_form(client, headers, **form_for(KIND, name=NAME)).status_code == 500
    monkeypatch.undo()

    assert_nothing_left_and_retry_is_version_1(store_app, before, client, headers)


# A worker of the same deployment, in a process of its own, killed by SIGKILL once the
# record and the artifact have been written and before they are committed: no handler,
# ``finally`` or ``except`` of the app runs.
KILLED_WORKER = """
import json, os, signal, sys
from mlapi import create_app
from sqlalchemy import event
from sqlalchemy.orm import Session
from mlapi.registry.models import MLModel

config, token, name, path = json.loads(sys.argv[1])
app = create_app(config)

@event.listens_for(Session, "after_flush")
def written(session, _context):
    if any(isinstance(obj, MLModel) for obj in session.new):
        os.kill(os.getpid(), signal.SIGKILL)

with open(path, "rb") as data:
    app.test_client().post("/api/v1/models", headers={"Authorization": "Bearer " + token},
                           content_type="multipart/form-data",
                           data={"name": name, "model_type": "sklearn", "file": (data, "m")})
"""


def restarted_worker(config: dict, client_class):
    """What gunicorn starts in place of a dead worker: a new app on the same settings."""
    app = create_app(config)
    app.test_client_class = client_class
    return app


def test_a_worker_killed_mid_upload_leaves_nothing_once_restarted(store_app, request, tmp_path):
    """The replacement worker gunicorn starts (a new app on the same database and store)
    finds neither the record nor an artifact nobody references, and the upload can be
    made again."""
    tokens = request.getfixturevalue("tokens")
    before = store_contents(store_app)
    upload = tmp_path / "model.skops"
    upload.write_bytes(model_file(KIND))
    config = request.getfixturevalue("app_config")  # the settings store_app was built with

    worker = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLED_WORKER,
            json.dumps([config, tokens.access, NAME, str(upload)]),
        ],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        timeout=120,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr.decode()[-2000:]

    restarted = restarted_worker(config, store_app.test_client_class)
    try:
        assert_nothing_left_and_retry_is_version_1(
            restarted, before, restarted.test_client(), tokens.headers
        )
    finally:
        with restarted.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_database_lost_between_write_and_commit_leaves_nothing_once_restarted(
    store_app, request, monkeypatch
):
    """The commit fails because the database went away, and so does the clean-up's
    question (does a record use these bytes?): the caller gets 503, and the artifact the
    upload wrote must not stay behind for good. On PostgreSQL the commit fails for real
    (the server ended the connection); on SQLite the connection already in the
    transaction keeps the moved file open, so its commit's failure is raised here, and
    the outage is real for everything after it."""
    client, headers = store_app.test_client(), request.getfixturevalue("auth_headers")
    before = store_contents(store_app)
    outage = Outage(store_app)

    def database_lost():
        outage.down()
        if outage.url.get_backend_name() == "sqlite":
            raise OperationalError("COMMIT", {}, OSError("disk I/O error"))

    before_model_commit(monkeypatch, request, database_lost)
    try:
        response = post_form(client, headers, **form_for(KIND, name=NAME))
    finally:
        outage.up()
        outage.close()
        monkeypatch.undo()
    assert_problem(response, 503, "service_unavailable")

    restarted = restarted_worker(request.getfixturevalue("app_config"), store_app.test_client_class)
    try:
        assert_nothing_left_and_retry_is_version_1(
            restarted, before, restarted.test_client(), headers
        )
    finally:
        with restarted.app_context():
            db.session.remove()
            db.engine.dispose()
