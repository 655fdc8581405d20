"""The test apps' settings: the test password, the secret key, the servers, ``testing_config``."""

import os
import secrets
import uuid
from pathlib import Path

from tests.contract_client import session_secrets

TEST_PASSWORD = "correct-horse-battery-staple"
session_secrets.add(TEST_PASSWORD)
# The test apps' MLAPI_SECRET_KEY: the source holds none, and a PostgreSQL database (the
# suite's PostgreSQL run) refuses to start without one.
TEST_SECRET_KEY = secrets.token_urlsafe(48)
session_secrets.add(TEST_SECRET_KEY)

# A PostgreSQL server URL: each xdist worker creates, migrates and drops its own database
# there (tests.support.apps). A Redis URL: every test app keeps its rate-limit counters there.
TEST_DATABASE_URL = os.environ.get("MLAPI_TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("MLAPI_TEST_REDIS_URL") or None


def testing_config(database: Path | str, models: Path, instance: Path, **overrides) -> dict:
    """``database``: a SQLite file, or a database URL (``str`` containing ``://``)."""
    url = database if isinstance(database, str) and "://" in database else f"sqlite:///{database}"
    # Each app its own rate-limit key prefix: tests that share one Redis never share counts.
    config = {
        "ENV": "testing",
        "SECRET_KEY": TEST_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": url,
        "MODEL_STORE": str(models),
        "INSTANCE_PATH": str(instance),
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    if TEST_REDIS_URL:
        config["REDIS_URL"] = TEST_REDIS_URL
    return {**config, **overrides}
