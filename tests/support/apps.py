"""Each test's own app and database: a copy of a template migrated once per xdist worker."""

import shutil
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlapi import create_app
from mlapi.extensions import db
from mlapi.limits import reset_limits
from mlapi.predictions.history_writer import HISTORY_ENGINES
from tests.contract_client import ContractClient
from tests.support.servers import PostgresDatabases
from tests.support.settings import TEST_DATABASE_URL, testing_config


@dataclass
class Template:
    database: Path | str  # a SQLite file to copy, or the URL of this worker's database
    models: Path
    reset: object = None  # PostgreSQL: empties the database back to the seed rows


class SeedRows:
    """The rows a bootstrapped database holds (system account, default model), read once;
    ``reset()`` empties every table, restarts every id sequence and puts the rows back.
    Tables named in ``keep`` are left as they are (the pact provider states keep the access
    counter moving on). On SQLite ids need no restart: a rowid is the largest one plus one.

    ``DELETE`` in dependency order rather than ``TRUNCATE ... RESTART IDENTITY CASCADE``:
    measured here, truncating the 11 tables costs ~240 ms per test (a new file per table
    and index), deleting their few rows ~20 ms."""

    def __init__(self, url: str, keep: tuple[str, ...] = ()):
        self.engine = sa.create_engine(url, pool_size=1)
        _engines_of_the_session.add(self.engine)
        metadata = sa.MetaData()
        metadata.reflect(self.engine)
        self.tables = [
            table
            for table in metadata.sorted_tables
            if table.name not in ("alembic_version", *keep)
        ]
        with self.engine.connect() as connection:
            self.rows = [
                (table, [dict(row._mapping) for row in connection.execute(sa.select(table))])
                for table in self.tables
            ]
            # Every id sequence back to its first value, past the ids the seed rows took.
            restarts = []
            for table, rows in self.rows if self.engine.dialect.name == "postgresql" else []:
                for column in table.primary_key.columns:
                    sequence = connection.execute(
                        sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                        {"t": f'"{table.name}"', "c": column.name},
                    ).scalar()
                    if sequence:
                        first = max((row[column.name] for row in rows), default=0) + 1
                        restarts.append(f"setval('{sequence}', {int(first)}, false)")
        self.restart = sa.text(f"SELECT {', '.join(restarts)}") if restarts else None

    def reset(self) -> None:
        with self.engine.begin() as connection:
            for table in reversed(self.tables):
                connection.execute(table.delete())
            for table, rows in self.rows:
                if rows:
                    connection.execute(table.insert(), rows)
            if self.restart is not None:
                connection.execute(self.restart)

    def dispose(self) -> None:
        self.engine.dispose()


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replaces pytest-flask's fixture of this name, which holds a request context (and so
    one app context and one database session) open for the whole test: every request of
    the test would share that session and miss changes made between requests (a
    deactivation, a logout). Here each request gets its own context and session, as in
    production."""


_engines_of_the_test: weakref.WeakSet = weakref.WeakSet()
_engines_of_the_session: weakref.WeakSet = weakref.WeakSet()  # kept open between tests


def _remember_engine(connection) -> None:
    _engines_of_the_test.add(connection.engine)


@pytest.fixture(autouse=True)
def _close_connections_after_each_test():
    """PostgreSQL only: every engine a test used (apps it built itself, not only ``app``)
    gives its pooled connections back to the server when the test ends. Left to the garbage
    collector they would warn (ResourceWarning) in some later test, and keep the worker's
    database busy."""
    if not TEST_DATABASE_URL:
        yield
        return
    sa.event.listen(sa.engine.Engine, "engine_connect", _remember_engine)
    try:
        yield
    finally:
        sa.event.remove(sa.engine.Engine, "engine_connect", _remember_engine)
        # The history engines' connections are checked out without ``Engine.connect``.
        for engine in [*_engines_of_the_test, *HISTORY_ENGINES]:
            if engine not in _engines_of_the_session:
                engine.dispose()
        _engines_of_the_test.clear()


def _webhook_senders() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "mlapi-webhooks" and t.is_alive()}


@pytest.fixture(autouse=True)
def _no_webhook_sender_outlives_its_test():
    """A webhook sender thread a test starts must be stopped by that test: one left running
    commits through the sessions of later tests in the same process (and once took a
    failure a later test had injected into its own commits)."""
    before = _webhook_senders()
    yield
    left = _webhook_senders() - before
    for thread in left:
        thread.join(timeout=5)  # a sender being stopped may still be on its way out
    assert not [t for t in left if t.is_alive()], "the test left a webhook sender running"


@pytest.fixture(scope="session")
def template(tmp_path_factory, worker_id):
    """A database migrated and bootstrapped once: schema, system account, default model.

    On SQLite a file that each test copies. With ``MLAPI_TEST_DATABASE_URL`` (a PostgreSQL
    server URL) this worker's own database, created here and dropped at the end, which each
    test empties back to the seed rows (``SeedRows``)."""
    base = tmp_path_factory.mktemp("template")
    if not TEST_DATABASE_URL:
        built = Template(database=base / "template.db", models=base / "models")
        _bootstrap(
            testing_config(built.database, built.models, base / "instance", AUTO_MIGRATE=True)
        )
        yield built
        return
    databases = PostgresDatabases(TEST_DATABASE_URL, worker_id)
    seed = None
    try:
        url = databases.create()
        built = Template(database=url, models=base / "models")
        _bootstrap(testing_config(url, built.models, base / "instance", AUTO_MIGRATE=True))
        seed = SeedRows(url)
        built.reset = seed.reset
        yield built
    finally:
        if seed is not None:
            seed.dispose()
        databases.drop_all()


def _bootstrap(config: dict) -> None:
    app = create_app(config)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app_config(template, tmp_path) -> dict:
    """The settings of the test's app; tests may change them before ``app`` is built.

    The database and the model store are copies of the template's, so a test that deletes
    a model (and so its artifact) cannot take a file away from another test that uploaded
    the same bytes, on this worker or another."""
    if template.reset is not None:
        template.reset()
        database = template.database
    else:
        database = tmp_path / "mlapi.db"
        shutil.copyfile(template.database, database)
    models = tmp_path / "models"
    shutil.copytree(template.models, models)
    return testing_config(database, models, tmp_path / "instance")


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.test_client_class = ContractClient
    yield app
    reset_limits(app)  # no rate-limit count outlives its test
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
