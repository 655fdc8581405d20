"""Plumbing only tests/unit needs; the shared fixtures live in tests/support/."""

from pathlib import Path

import pytest

from mlapi import create_app
from mlapi.extensions import db
from tests.contract_client import ContractClient


@pytest.fixture
def configured_app(app_config, request):
    """Build the test's ``app`` after changing its settings: ``configured_app(KEY=value)``.

    For settings read when the app is created (database, model store). The test must not
    request ``app`` (or a fixture built on it: ``client``, ``user``…) by argument, since
    pytest-flask builds those before the test body runs; get them afterwards with
    ``request.getfixturevalue``.
    """

    def build(**settings):
        app_config.update(settings)
        app = request.getfixturevalue("app")
        assert all(app.config[key] == value for key, value in settings.items()), (
            "the app was built before configured_app() was called"
        )
        return app

    return build


@pytest.fixture
def private_model_store(app_config) -> Path:
    """The test's own copy of the session's model store (``app_config`` makes one for every
    test), safe to damage."""
    return Path(app_config["MODEL_STORE"])


@pytest.fixture
def other_host(app, app_config, tmp_path):
    """A second app (another host: its own instance folder and caches) on the test's
    database, as a test client; built after ``app``, which creates the schema."""
    other = create_app({**app_config, "INSTANCE_PATH": str(tmp_path / "other-host")})
    other.test_client_class = ContractClient
    yield other.test_client()
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
