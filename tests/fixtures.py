"""Fixtures shared by unit tests and step definitions: app, database, users, tokens.

Each test gets its own app and its own copy of a database that was migrated once per
session (and per xdist worker), so every test and scenario starts from an empty
database holding only the system account and the default model.

With ``MLAPI_TEST_DATABASE_URL`` set to a PostgreSQL server URL (the fixtures create and
drop their own databases there) each xdist worker migrates one database of its own once,
and each test empties its tables (``TRUNCATE ... RESTART IDENTITY CASCADE``) and puts the
seed rows back. With ``MLAPI_TEST_REDIS_URL`` set every test app keeps its rate-limit
counters there (its own key prefix keeps them apart).
"""

import io
import logging
import os
import secrets
import shutil
import uuid
import weakref
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from mlapi import create_app
from mlapi.auth import service as accounts
from mlapi.extensions import db
from mlapi.limits import reset_limits
from tests.contract_client import ContractClient, secret_log_handler, session_secrets
from tests.unit.helpers import REDIS_URL, redis_answers

TEST_PASSWORD = "correct-horse-battery-staple"
session_secrets.add(TEST_PASSWORD)
# The test apps' MLAPI_SECRET_KEY: the source holds none, and a PostgreSQL database (the
# suite's PostgreSQL run) refuses to start without one.
TEST_SECRET_KEY = secrets.token_urlsafe(48)
session_secrets.add(TEST_SECRET_KEY)


TEST_DATABASE_URL = os.environ.get("MLAPI_TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("MLAPI_TEST_REDIS_URL") or None


@dataclass
class Template:
    database: Path | str  # a SQLite file to copy, or the URL of this worker's database
    models: Path
    reset: object = None  # PostgreSQL: empties the database back to the seed rows


@dataclass
class TestUser:
    id: int
    username: str
    email: str
    password: str


@dataclass
class Tokens:
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def testing_config(database: Path | str, models: Path, instance: Path, **overrides) -> dict:
    """``database``: a SQLite file, or a database URL (``str`` containing ``://``)."""
    url = database if isinstance(database, str) and "://" in database else f"sqlite:///{database}"
    # Each app its own rate-limit key prefix: tests that share one Redis never share counts.
    config = {"ENV": "testing", "SECRET_KEY": TEST_SECRET_KEY, "SQLALCHEMY_DATABASE_URI": url,
              "MODEL_STORE": str(models), "INSTANCE_PATH": str(instance),
              "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    if TEST_REDIS_URL:
        config["REDIS_URL"] = TEST_REDIS_URL
    return {**config, **overrides}


class PostgresDatabases:
    """Creates and drops this worker's databases on the server of ``MLAPI_TEST_DATABASE_URL``."""

    def __init__(self, server_url: str, worker: str):
        self.server = make_url(server_url)
        self.prefix = f"mlapi_test_{worker}_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []
        self.admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT",
                                      poolclass=sa.pool.NullPool)

    def create(self, suffix: str = "") -> str:
        name = f"{self.prefix}{suffix}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.server.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in reversed(self.created):
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


class SeedRows:
    """The rows a bootstrapped database holds (system account, default model), read once;
    ``reset()`` empties every table, restarts every id sequence and puts the rows back.

    ``DELETE`` in dependency order rather than ``TRUNCATE ... RESTART IDENTITY CASCADE``:
    measured here, truncating the 11 tables costs ~240 ms per test (a new file per table
    and index), deleting their few rows ~20 ms."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url, pool_size=1)
        _engines_of_the_session.add(self.engine)
        metadata = sa.MetaData()
        metadata.reflect(self.engine)
        self.tables = [table for table in metadata.sorted_tables
                       if table.name != "alembic_version"]
        with self.engine.connect() as connection:
            self.rows = [(table, [dict(row._mapping) for row in
                                  connection.execute(sa.select(table))])
                         for table in self.tables]
            # Every id sequence back to its first value, past the ids the seed rows took.
            restarts = []
            for table, rows in self.rows:
                for column in table.primary_key.columns:
                    sequence = connection.execute(sa.text(
                        "SELECT pg_get_serial_sequence(:t, :c)"),
                        {"t": f'"{table.name}"', "c": column.name}).scalar()
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
        for engine in list(_engines_of_the_test):
            if engine not in _engines_of_the_session:
                engine.dispose()
        _engines_of_the_test.clear()


@pytest.fixture(scope="session")
def _secret_log_handler():
    """One handler on the root logger for the whole session (tests/contract_client.py)."""
    root = logging.getLogger()
    root.addHandler(secret_log_handler)
    yield secret_log_handler
    root.removeHandler(secret_log_handler)


@pytest.fixture(autouse=True)
def _no_secret_in_any_log_line(_secret_log_handler):
    """Passwords and once-shown secrets are never logged: a log record of this
    test that holds one fails it, also one written outside a request of the test client
    (a CLI command, a worker thread)."""
    _secret_log_handler.take()  # what earlier code logged is not this test's doing
    yield
    leaks = _secret_log_handler.take()
    if leaks:
        pytest.fail("secret in the logs: " + "; ".join(leaks), pytrace=False)


@pytest.fixture(scope="session")
def template(tmp_path_factory, worker_id):
    """A database migrated and bootstrapped once: schema, system account, default model."""
    base = tmp_path_factory.mktemp("template")
    if not TEST_DATABASE_URL:
        built = Template(database=base / "template.db", models=base / "models")
        _bootstrap(testing_config(built.database, built.models, base / "instance",
                                  AUTO_MIGRATE=True))
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


@pytest.fixture
def make_user(app, faker):
    """Create an account directly (not through the API) and return its credentials."""

    def make(username: str | None = None, *, password: str = TEST_PASSWORD,
             email: str | None = None, role: str = "user", is_active: bool = True,
             full_name: str | None = None) -> TestUser:
        username = username or f"{faker.user_name()}{faker.random_int(10, 99999)}"[:32]
        email = email or f"{username.lower()}@{faker.domain_name()}"
        with app.app_context():
            user = accounts.register(username, email, password, full_name, role=role)
            if not is_active:
                user.is_active = False
                db.session.commit()
            return TestUser(user.id, user.username, user.email, password)

    return make


@pytest.fixture
def sign_in(client):
    """Sign in through the API and return the token pair."""

    def sign_in(user: TestUser) -> Tokens:
        response = client.post("/api/v1/auth/login",
                               json={"username": user.username, "password": user.password})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        return Tokens(body["access_token"], body["refresh_token"])

    return sign_in


@pytest.fixture
def user(make_user) -> TestUser:
    return make_user()


@pytest.fixture
def tokens(user, sign_in) -> Tokens:
    return sign_in(user)


@pytest.fixture
def auth_headers(tokens) -> dict[str, str]:
    return tokens.headers


@pytest.fixture
def admin(make_user) -> TestUser:
    return make_user(role="admin")


@pytest.fixture
def admin_headers(admin, sign_in) -> dict[str, str]:
    return sign_in(admin).headers


# --- model files, built from scikit-learn's bundled data sets (no binaries committed) ---

def _fitted(kind: str):
    from sklearn.datasets import load_diabetes, load_iris
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.tree import DecisionTreeClassifier

    if kind == "regressor":  # 10 features, like the default model
        return Ridge(alpha=0.5).fit(*load_diabetes(return_X_y=True))
    if kind == "classifier":  # 4 features, classes 0 1 2, with predict_proba
        return LogisticRegression(max_iter=500).fit(*load_iris(return_X_y=True))
    if kind == "tree":  # needs a type outside skops' default trusted set
        return DecisionTreeClassifier(max_depth=3, random_state=0).fit(
            *load_iris(return_X_y=True))
    raise ValueError(kind)


@cache
def model_file(kind: str) -> bytes:
    """Bytes of a model file: ``regressor``/``classifier``/``tree`` as skops archives,
    ``pickle`` as a pickled estimator, ``not_a_model`` as a skops archive of a dict,
    ``corrupt`` as garbage that starts like a zip archive, ``untrusted`` as a skops archive
    whose transformer would call ``os.system`` (never fitted, never run)."""
    import os
    import pickle

    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    if kind == "untrusted":
        return sio.dumps(FunctionTransformer(func=os.system))
    if kind == "pickle":
        return pickle.dumps(_fitted("regressor"))
    if kind == "not_a_model":
        return sio.dumps({"weights": [1, 2, 3]})
    if kind == "corrupt":
        return b"PK\x03\x04" + b"\x00garbage" * 64
    return sio.dumps(_fitted(kind))


@pytest.fixture
def upload_model(client):
    """Upload a model through the API as the holder of ``headers``; return the record."""

    def upload(headers: dict, name: str = "churn", *, kind: str = "regressor",
               visibility: str | None = None, description: str | None = None,
               feature_names: str | None = None, expect: int = 201):
        form = {"name": name, "model_type": "sklearn",
                "file": (io.BytesIO(model_file(kind)), f"{name}.skops")}
        for key, value in (("visibility", visibility), ("description", description),
                           ("feature_names", feature_names)):
            if value is not None:
                form[key] = value
        response = client.post("/api/v1/models", data=form, headers=headers,
                               content_type="multipart/form-data")
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    return upload


@pytest.fixture
def redis_prefix():
    """Redis keys of the test's own (``<prefix>:*``), removed afterwards."""
    name = f"test-{uuid.uuid4().hex}"
    yield name
    if redis_answers():
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{name}:*"):
            client.delete(key)
