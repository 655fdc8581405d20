"""What tests create on the PostgreSQL and Redis servers, and remove again."""

import uuid

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.unit.helpers import REDIS_URL, redis_answers


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


@pytest.fixture
def redis_prefix():
    """Redis keys of the test's own (``<prefix>:*``), removed afterwards."""
    name = f"test-{uuid.uuid4().hex}"
    yield name
    if redis_answers():
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{name}:*"):
            client.delete(key)
