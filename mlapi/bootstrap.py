"""First start: schema (when auto-migrating), system account, default model.

Idempotent, and serialised by a lock so that several workers starting at once create
one default model between them. On SQLite the lock is a file beside the database.
"""

import logging
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
from filelock import FileLock
from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError

from .extensions import db
from .registry.default_model import ensure_default_model
from .runtime import runtime

log = logging.getLogger("mlapi.bootstrap")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@contextmanager
def startup_lock(app: Flask):
    database = db.engine.url.database if db.engine.url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:":
        lock_path = f"{database}.startup.lock"
    else:
        lock_path = str(Path(app.instance_path) / "startup.lock")
    with FileLock(lock_path, timeout=120):
        yield


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
        except OperationalError as exc:
            db.session.rollback()
            log.error("first-start checks skipped, database unavailable: %s",
                      type(exc.orig).__name__)
