"""The purge on PostgreSQL, where every host runs it from cron at the same moment: two purges
share the old rows (each batch skips the rows another holds) and delete each exactly once,
neither waiting for the other; and writers of new history are not held up by a batch.

One purge is paused in the middle of a batch, its rows deleted but not yet committed, while
the other purge or the writes run: if they waited for its locks they could only finish once
it gave up waiting (``PAUSE``), which the test would see. Needs ``MLAPI_TEST_DATABASE_URL``.
"""

import os
import re
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from mlapi.extensions import db
from mlapi.predictions.models import Feedback, Prediction
from mlapi.retention import purge as purge_module
from mlapi.retention.purge import purge
from mlapi.timeutil import utcnow
from tests.support.history_rows import add_predictions, rows
from tests.support.settings import TEST_DATABASE_URL, TEST_SECRET_KEY
from tests.unit.helpers import ROW

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL only with MLAPI_TEST_DATABASE_URL set"
)

REPOSITORY = Path(__file__).resolve().parents[3]
PAUSE = 60  # seconds the paused batch waits at most to be released
DAYS = 30
OLD = timedelta(days=DAYS + 1)


@contextmanager
def paused_purge(app, monkeypatch, batch_size: int):
    """A purge in a thread of its own, paused after its first batch has deleted its
    predictions and before it commits; yields ``outcome``: once the block ends, the purge's
    report (``report``) and whether it was released before it gave up waiting
    (``released_in_time``)."""
    holding, released, outcome = threading.Event(), threading.Event(), {}
    delete = purge_module._delete

    def pausing_delete(model, condition):
        deleted = delete(model, condition)
        if model is Prediction and threading.current_thread() is paused and not holding.is_set():
            holding.set()
            outcome["released_in_time"] = released.wait(PAUSE)
        return deleted

    def run():
        with app.app_context():
            outcome["report"] = purge(DAYS, 0, batch_size=batch_size)

    monkeypatch.setattr(purge_module, "_delete", pausing_delete)
    paused = threading.Thread(target=run)
    paused.start()
    try:
        assert holding.wait(PAUSE), "the purge never reached its first batch"
        yield outcome
    finally:
        released.set()
        paused.join(PAUSE)
    assert not paused.is_alive()


def test_two_purges_at_once_share_the_rows(app, stored_model_for, monkeypatch):
    owner, model_id = stored_model_for(app)
    add_predictions(app, owner.id, model_id, utcnow() - OLD, 6, feedback=True)
    add_predictions(app, owner.id, model_id, utcnow() - OLD, 4)
    recent = add_predictions(app, owner.id, model_id, utcnow(), 2, feedback=True)

    with paused_purge(app, monkeypatch, batch_size=4) as first, app.app_context():
        second = purge(DAYS, 0, batch_size=4).history

    assert first["released_in_time"], "the second purge waited for the first one's rows"
    history = first["report"].history
    assert (history.deleted, second.deleted) == (4, 6)
    assert history.with_feedback + second.with_feedback == 6
    assert (rows(app, Prediction), rows(app, Feedback)) == (len(recent), len(recent))


def test_history_is_written_while_a_batch_is_being_deleted(app, stored_model_for, monkeypatch):
    owner, model_id = stored_model_for(app)
    add_predictions(app, owner.id, model_id, utcnow() - OLD, 4, feedback=True)
    client = app.test_client()

    with paused_purge(app, monkeypatch, batch_size=2) as purging:
        answers = [
            client.post(
                f"/api/v1/models/{model_id}/predict", json={"features": ROW}, headers=owner.headers
            )
            for _ in range(3)
        ]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert purging["released_in_time"], "the writes waited for the purge"
    assert purging["report"].history.deleted == 4
    assert rows(app, Prediction) == 3


def run_purge(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "retention",
            "purge",
            "--batch-size",
            "25",
        ],
        cwd=REPOSITORY,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_cron_on_two_hosts_deletes_every_old_row_once(app, app_config, stored_model_for):
    """The real command line, twice at once: the totals printed add up to what there was."""
    owner, model_id = stored_model_for(app)
    add_predictions(app, owner.id, model_id, utcnow() - OLD, 300, feedback=True)
    add_predictions(app, owner.id, model_id, utcnow() - OLD, 300)
    add_predictions(app, owner.id, model_id, utcnow(), 5)
    with app.app_context():
        db.engine.dispose()  # the subprocesses may take every connection they need
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLAPI_")}
    env.update(
        MLAPI_ENV="production",
        MLAPI_SECRET_KEY=TEST_SECRET_KEY,
        MLAPI_DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
        MLAPI_INSTANCE_PATH=app_config["INSTANCE_PATH"],
        MLAPI_MODEL_STORE=app_config["MODEL_STORE"],
        MLAPI_HISTORY_RETENTION_DAYS=str(DAYS),
    )

    hosts = [run_purge(env), run_purge(env)]
    finished = [host.communicate(timeout=120) for host in hosts]

    assert [host.returncode for host in hosts] == [0, 0], finished
    printed = [
        re.search(r"history: deleted ([\d,]+) predictions \(([\d,]+) with feedback\)", out)
        for out, _ in finished
    ]
    assert all(printed), finished
    totals = [sum(int(m.group(group).replace(",", "")) for m in printed) for group in (1, 2)]
    assert totals == [600, 300]
    assert (rows(app, Prediction), rows(app, Feedback)) == (5, 0)
