"""Secrets at start: no key anyone can read in the
source ever signs a token.

Outside testing found that an app started without ``MLAPI_ENV`` (the README's ``flask run``,
or gunicorn with the variable forgotten) signed tokens with a constant from ``config.py``:
a token forged with it read ``/api/v1/admin/users``. Now development and testing generate a
random key once per instance folder (mode 0600, shared by every worker of the host), and an
instance that several hosts may share (a database server, the ``db`` model store) or a
production one refuses to start without ``MLAPI_SECRET_KEY``.
"""

import os
import stat
import time
import uuid
from pathlib import Path

import jwt
import pytest

from mlapi import create_app
from mlapi.auth import service as accounts
from mlapi.config import ConfigError
from mlapi.extensions import db
from tests.contract_client import ContractClient
from tests.support.settings import TEST_PASSWORD
from tests.support.users import bearer
from tests.unit.helpers import assert_problem

# What config.py shipped as DEV_SECRET_KEY: anyone who read the source could sign with it.
PUBLISHED_KEY = "mlapi-development-secret-key-do-not-use-in-production"
ADMIN_USERS = "/api/v1/admin/users"
PROFILES = {"unset": None, "development": "development", "testing": "testing"}


@pytest.fixture
def bare_environment(monkeypatch):
    """No ``MLAPI_*`` setting that would choose the profile, key, database or store."""
    for variable in (
        "MLAPI_ENV",
        "MLAPI_SECRET_KEY",
        "MLAPI_DATABASE_URL",
        "MLAPI_MODEL_STORE",
        "MLAPI_REDIS_URL",
        "MLAPI_INSTANCE_PATH",
    ):
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


def fresh_start(instance: Path) -> dict:
    """What ``flask run`` on a fresh checkout has: SQLite and models in the instance folder
    (named here only so that the test does not use the repository's)."""
    return {
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'mlapi.db'}",
        "MODEL_STORE": str(instance / "models"),
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        # No webhook sender thread: these apps send no hook, and a thread would outlive
        # the test and commit through later tests' sessions.
        "WEBHOOK_WORKER": False,
    }


def started(config: dict):
    app = create_app(config)
    app.test_client_class = ContractClient
    return app


@pytest.fixture
def development_app(bare_environment, tmp_path):
    app = started(fresh_start(tmp_path / "instance"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def make_admin(app) -> tuple[int, str]:
    """An administrator's id and username."""
    username = f"admin{uuid.uuid4().hex[:8]}"
    with app.app_context():
        return accounts.register(
            username, f"{username}@example.com", TEST_PASSWORD, None, role="admin"
        ).id, username


def forged_access_token(user_id: int, key: str) -> str:
    """Every claim the server requires, signed HS256 with ``key``."""
    now = int(time.time())
    return jwt.encode(
        {
            "sub": str(user_id),
            "type": "access",
            "jti": f"{uuid.uuid4().hex}.a",
            "fresh": False,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
        },
        key,
        algorithm="HS256",
    )


def test_a_token_signed_with_the_published_key_is_refused(development_app):
    """The attack as it was found: the README's start, no variable set, an admin's id."""
    admin_id, _ = make_admin(development_app)
    client = development_app.test_client()

    response = client.get(ADMIN_USERS, headers=bearer(forged_access_token(admin_id, PUBLISHED_KEY)))

    assert_problem(response, 401, "token_invalid")


def test_the_generated_key_signs_and_is_kept_readable_by_the_owner_only(development_app):
    """Control: the generated key is the one tokens are checked with, and its file in the
    instance folder is not readable by other accounts of the machine."""
    admin_id, _ = make_admin(development_app)
    key_file = Path(development_app.instance_path) / "secret_key"
    key = key_file.read_text()
    client = development_app.test_client()

    assert (
        client.get(ADMIN_USERS, headers=bearer(forged_access_token(admin_id, key))).status_code
        == 200
    )
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(key.encode()) >= 32


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_every_app_on_one_instance_folder_signs_with_the_same_key(
    bare_environment, tmp_path, profile
):
    """Two workers of one host: a token one issued is accepted by the other."""
    if profile:
        bare_environment.setenv("MLAPI_ENV", profile)
    config = fresh_start(tmp_path / "instance")
    first = started({**config, "AUTO_MIGRATE": True})
    second = started(config)
    _, username = make_admin(first)
    login = first.test_client().post(
        "/api/v1/auth/login", json={"username": username, "password": TEST_PASSWORD}
    )
    assert login.status_code == 200

    response = second.test_client().get(
        ADMIN_USERS, headers=bearer(login.get_json()["access_token"])
    )

    assert response.status_code == 200
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


SHARED_BY_HOSTS = {
    "postgresql": {"MLAPI_DATABASE_URL": "postgresql+psycopg://mlapi@db.invalid/mlapi"},
    "db model store": {"MLAPI_MODEL_STORE": "db"},
}


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
@pytest.mark.parametrize("variables", SHARED_BY_HOSTS.values(), ids=SHARED_BY_HOSTS.keys())
def test_an_instance_several_hosts_share_refuses_to_start_without_a_key(
    bare_environment, tmp_path, profile, variables
):
    """Each host would generate a key of its own: a token from one would fail on another.
    Refused before anything is reached (the database host does not exist)."""
    if profile:
        bare_environment.setenv("MLAPI_ENV", profile)
    for variable, value in variables.items():
        bare_environment.setenv(variable, value)

    with pytest.raises(ConfigError, match="MLAPI_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_refuses_to_start_without_a_key(bare_environment, tmp_path):
    bare_environment.setenv("MLAPI_ENV", "production")

    with pytest.raises(ConfigError, match="MLAPI_SECRET_KEY"):
        create_app(fresh_start(tmp_path / "instance"))


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_the_published_key_is_refused_as_a_setting(bare_environment, tmp_path, profile):
    """An operator who copied the old constant into ``MLAPI_SECRET_KEY`` is told so."""
    if profile:
        bare_environment.setenv("MLAPI_ENV", profile)
    bare_environment.setenv("MLAPI_SECRET_KEY", PUBLISHED_KEY)

    with pytest.raises(ConfigError, match="MLAPI_SECRET_KEY"):
        create_app(fresh_start(tmp_path / "instance"))
