"""What tests create on the PostgreSQL and Redis servers, and remove again; the test's app
served over HTTP (``server_url``) for clients that need a real socket."""

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

# The machine's Redis, and a closed port standing for a Redis that is down.
REDIS_URL = "redis://127.0.0.1:6379/0"
DOWN_REDIS_URL = "redis://127.0.0.1:6390/0"


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.2).ping())
    except redis.RedisError:
        return False


# Skipped on a laptop without Redis, never in CI (CI set: .ci/run starts Redis first, so a
# missing one fails the tests instead).
needs_redis = pytest.mark.skipif(
    not os.environ.get("CI") and not redis_answers(), reason="no Redis at 127.0.0.1:6379"
)


class PostgresDatabases:
    """Creates and drops this worker's databases on the server of ``MLAPI_TEST_DATABASE_URL``."""

    def __init__(self, server_url: str, worker: str):
        self.server = make_url(server_url)
        self.prefix = f"mlapi_test_{worker}_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []
        self.admin = sa.create_engine(
            self.server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )

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


@pytest.fixture
def redis_prefix():
    """Redis keys of the test's own (``<prefix>:*``), removed afterwards."""
    name = f"test-{uuid.uuid4().hex}"
    yield name
    if redis_answers():
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{name}:*"):
            client.delete(key)


@pytest.fixture
def server_url(app) -> Iterator[str]:
    """The test's app served over HTTP in a thread of this process (so it shares the
    test's database, and its coverage counts), on a free port of 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()
