"""First start: schema (when auto-migrating), system account, default model.

Idempotent, and serialised by a lock so that several workers starting at once create
one default model between them. On PostgreSQL the lock is a session-level advisory lock
held on a connection of its own (so every host sharing the database waits on it); on
SQLite it is a file beside the database.
"""

import logging
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
from filelock import FileLock
from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from .extensions import db
from .registry.default_model import ensure_default_model
from .registry.service import recover_interrupted_uploads
from .runtime import runtime

log = logging.getLogger("mlapi.bootstrap")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_lock key of the first-start section: "mlapi" in ASCII, fixed forever, so that
# every version of the app that may start beside another takes the same lock.
STARTUP_LOCK_KEY = 0x6D6C617069


@contextmanager
def startup_lock(app: Flask):
    if db.engine.url.get_backend_name() == "postgresql":
        with _advisory_lock():
            yield
        return
    database = db.engine.url.database if db.engine.url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:":
        lock_path = f"{database}.startup.lock"
    else:
        lock_path = str(Path(app.instance_path) / "startup.lock")
    with FileLock(lock_path, timeout=120):
        yield


@contextmanager
def _advisory_lock():
    """Held on a dedicated connection, outside the transactions the section commits."""
    with db.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.rollback()  # a failed statement must not keep the unlock from running
            connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                               {"key": STARTUP_LOCK_KEY})
            connection.commit()


def bootstrap(app: Flask) -> None:
    with app.app_context():
        try:
            # Reach the database before taking the lock: the lock file would otherwise
            # create a missing SQLite folder, and fails outright when it cannot.
            with db.engine.connect():
                pass
            with startup_lock(app):
                if app.config["AUTO_MIGRATE"]:
                    flask_migrate.upgrade(directory=str(MIGRATIONS_DIR))
                if not inspect(db.engine).has_table("ml_models"):
                    log.warning("the database has no schema yet: run `flask db upgrade`")
                    return
                ensure_default_model(runtime().store)
                db.session.commit()
                recover_interrupted_uploads()
        except OperationalError as exc:
            db.session.rollback()
            log.error("first-start checks skipped, database unavailable: %s",
                      type(exc.orig).__name__)
