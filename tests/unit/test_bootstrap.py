"""First start: schema, system account and default model, once, however many start at once."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.servers import PostgresDatabases
from tests.support.settings import TEST_DATABASE_URL, TEST_SECRET_KEY
from tests.unit.helpers import artifacts_in

START_APP = "from mlapi import create_app; create_app()"
COUNT_QUERIES = {
    "system_accounts": "SELECT count(*) FROM users WHERE username_key = 'mlapi-system'",
    "default_models": "SELECT count(*) FROM ml_models WHERE is_default",
    "models": "SELECT count(*) FROM ml_models",
}


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return {
                name: connection.execute(sa.text(query)).scalar_one()
                for name, query in COUNT_QUERIES.items()
            }
    finally:
        engine.dispose()


@pytest.fixture
def postgres_database(worker_id):
    """A fresh, empty PostgreSQL database (the suite's PostgreSQL run only)."""
    if not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL only: set MLAPI_TEST_DATABASE_URL (tox -e services)")
    databases = PostgresDatabases(TEST_DATABASE_URL, f"{worker_id}_start")
    try:
        yield databases.create()
    finally:
        databases.drop_all()


@pytest.mark.slow
def test_two_processes_starting_at_once_create_one_of_everything(tmp_path):
    database = tmp_path / "shared.db"
    start_two_at_once(tmp_path, f"sqlite:///{database}")


@pytest.mark.slow
def test_two_hosts_starting_at_once_on_postgresql_create_one_of_everything(
    tmp_path, postgres_database
):
    """The advisory lock: two processes, each with its own model store (two hosts), migrate
    and bootstrap one fresh database at once."""
    start_two_at_once(tmp_path, postgres_database, stores_per_process=True)


def start_two_at_once(tmp_path: Path, url: str, *, stores_per_process: bool = False) -> None:
    store = tmp_path / "models"
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLAPI_")}
    # The key hosts share (a database server refuses to start without one); on SQLite the
    # two processes generate one in the shared instance folder.
    key = {"MLAPI_SECRET_KEY": TEST_SECRET_KEY} if stores_per_process else {}
    env.update(
        MLAPI_ENV="testing",
        MLAPI_DATABASE_URL=url,
        **key,
        MLAPI_MODEL_STORE=str(store),
        MLAPI_AUTO_MIGRATE="true",
        MLAPI_INSTANCE_PATH=str(tmp_path / "instance"),
    )

    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    workers = []
    for n, log in enumerate(logs):  # both started before either is waited on
        if stores_per_process:
            env = {
                **env,
                "MLAPI_MODEL_STORE": str(tmp_path / f"models{n}"),
                "MLAPI_INSTANCE_PATH": str(tmp_path / f"instance{n}"),
            }
        with log.open("w") as output:
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-c", START_APP],
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            )
    exit_codes = [worker.wait(timeout=300) for worker in workers]

    outputs = [log.read_text() for log in logs]
    assert exit_codes == [0, 0], outputs
    assert not any("ERROR" in output or "Traceback" in output for output in outputs), outputs
    assert counts(url) == {"system_accounts": 1, "default_models": 1, "models": 1}
    stores = [tmp_path / f"models{n}" for n in range(2)] if stores_per_process else [store]
    for each in stores:
        assert len(artifacts_in(each)) == 1


def test_starting_again_on_a_bootstrapped_database_adds_nothing(app, app_config):
    assert counts(app_config["SQLALCHEMY_DATABASE_URI"]) == {
        "system_accounts": 1,
        "default_models": 1,
        "models": 1,
    }
