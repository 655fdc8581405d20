"""Fixtures shared by unit tests and step definitions: app, database, users, tokens.

Each test gets its own app and its own copy of a database that was migrated once per
session (and per xdist worker), so every test and scenario starts from an empty
database holding only the system account and the default model.
"""

import io
import shutil
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from mlapi import create_app
from mlapi.auth import service as accounts
from mlapi.extensions import db
from mlapi.limits import reset_limits
from tests.contract_client import ContractClient

TEST_PASSWORD = "correct-horse-battery-staple"


@dataclass
class Template:
    database: Path
    models: Path


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


def testing_config(database: Path, models: Path, instance: Path, **overrides) -> dict:
    # Each app its own rate-limit key prefix: tests that share one Redis never share counts.
    return {"ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "MODEL_STORE": str(models), "INSTANCE_PATH": str(instance),
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}", **overrides}


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replaces pytest-flask's fixture of this name, which holds a request context (and so
    one app context and one database session) open for the whole test: every request of
    the test would share that session and miss changes made between requests (a
    deactivation, a logout). Here each request gets its own context and session, as in
    production."""


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Template:
    """A database migrated and bootstrapped once: schema, system account, default model."""
    base = tmp_path_factory.mktemp("template")
    built = Template(database=base / "template.db", models=base / "models")
    app = create_app(testing_config(built.database, built.models, base / "instance",
                                    AUTO_MIGRATE=True))
    with app.app_context():
        db.engine.dispose()
    return built


@pytest.fixture
def app_config(template, tmp_path) -> dict:
    """The settings of the test's app; tests may change them before ``app`` is built.

    The database and the model store are copies of the template's, so a test that deletes
    a model (and so its artifact) cannot take a file away from another test that uploaded
    the same bytes, on this worker or another."""
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

