"""The webhook worker on a database it cannot read: it says why once, backs off, and
carries on by itself when the database can serve again.

Before, it logged a traceback every second in every worker. The loop (``Worker.run``) is
driven here as the thread drives it, with a fake ``wait`` that records each pause and
changes the world between two looks (no real sleeping, no thread).
"""

import logging

import pytest

from mlapi.extensions import db
from mlapi.webhooks.worker import MAX_BACKOFF_SECONDS, POLL_SECONDS, Worker

LOOKS = 40
UPGRADE_AFTER = 30  # looks before the operator runs `flask db upgrade`


class Loop:
    """Runs ``worker.run()`` for ``looks`` looks; ``then`` runs after ``at`` of them."""

    def __init__(self, app, looks: int, *, at: int | None = None, then=None):
        self.looks, self.at, self.then, self.waits = looks, at, then, []
        self.worker = Worker(app, wait=self.wait)

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        if len(self.waits) == self.at:
            self.then()
        if len(self.waits) == self.looks:
            self.worker.stopping.set()

    def run(self) -> list[float]:
        try:
            self.worker.run()
        finally:
            self.worker.dispatcher.close()
        return self.waits


def worker_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "mlapi.webhooks"]


@pytest.fixture
def unmigrated(configured_app, tmp_path):
    return configured_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.db'}", AUTO_MIGRATE=False
    )


def flask_db_upgrade(app) -> None:
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_no_schema_is_logged_once_with_back_off_then_sending_resumes(unmigrated, caplog):
    loop = Loop(unmigrated, LOOKS, at=UPGRADE_AFTER, then=lambda: flask_db_upgrade(unmigrated))

    with caplog.at_level(logging.INFO, logger="mlapi.webhooks"):
        waits = loop.run()

    backing_off, after_upgrade = waits[:UPGRADE_AFTER], waits[UPGRADE_AFTER:]
    assert backing_off[:8] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert max(backing_off) == MAX_BACKOFF_SECONDS
    assert after_upgrade == [POLL_SECONDS] * (LOOKS - UPGRADE_AFTER)
    first, recovered = worker_records(caplog)  # two lines in forty looks
    assert first.levelno == logging.ERROR
    assert "the database has no schema yet: run `flask db upgrade`" in first.getMessage()
    assert first.exc_info is None  # a cause, not a traceback
    assert "can be read again" in recovered.getMessage()


def test_a_database_that_cannot_be_reached_is_logged_once(configured_app, tmp_path, caplog):
    app = configured_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no-such-folder' / 'mlapi.db'}"
    )

    with caplog.at_level(logging.INFO, logger="mlapi.webhooks"):
        waits = Loop(app, LOOKS).run()

    assert waits[-1] == MAX_BACKOFF_SECONDS
    [record] = worker_records(caplog)
    assert "the database cannot be reached" in record.getMessage()


def test_an_unexpected_error_shows_its_traceback_once(app, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("mlapi.webhooks.worker.Dispatcher.fill", broken)

    with caplog.at_level(logging.INFO, logger="mlapi.webhooks"):
        waits = Loop(app, 10).run()

    assert waits[:4] == [1, 2, 4, 8]
    [record] = worker_records(caplog)
    assert "sending failed (RuntimeError)" in record.getMessage()
    assert record.exc_info is not None


def test_a_new_cause_is_logged_again(unmigrated, caplog, tmp_path):
    """No schema, then the database goes away: the operator hears about both."""

    def take_the_database_away():
        with unmigrated.app_context():
            db.engine.dispose()
        (tmp_path / "fresh.db").unlink()
        (tmp_path / "fresh.db").mkdir()  # opening it now fails

    with caplog.at_level(logging.INFO, logger="mlapi.webhooks"):
        Loop(unmigrated, 10, at=5, then=take_the_database_away).run()

    messages = [record.getMessage() for record in worker_records(caplog)]
    assert len(messages) == 2
    assert "no schema yet" in messages[0]
    assert "cannot be reached" in messages[1]
