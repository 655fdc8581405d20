"""First start: schema, system account and default model, once, however many start at once."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.helpers import artifacts_in

START_APP = "from mlapi import create_app; create_app()"


def counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return {name: connection.execute(query).fetchone()[0] for name, query in {
            "system_accounts": "SELECT count(*) FROM users WHERE username_key = 'mlapi-system'",
            "default_models": "SELECT count(*) FROM ml_models WHERE is_default",
            "models": "SELECT count(*) FROM ml_models",
        }.items()}


@pytest.mark.slow
def test_two_processes_starting_at_once_create_one_of_everything(tmp_path):
    database, store = tmp_path / "shared.db", tmp_path / "models"
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLAPI_")}
    env.update(MLAPI_ENV="testing", MLAPI_DATABASE_URL=f"sqlite:///{database}",
               MLAPI_MODEL_STORE=str(store), MLAPI_AUTO_MIGRATE="true",
               MLAPI_INSTANCE_PATH=str(tmp_path / "instance"))

    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    workers = []
    for log in logs:  # both started before either is waited on
        with log.open("w") as output:
            workers.append(subprocess.Popen([sys.executable, "-c", START_APP], env=env,
                                            stdout=output, stderr=subprocess.STDOUT))
    exit_codes = [worker.wait(timeout=300) for worker in workers]

    assert exit_codes == [0, 0], [log.read_text() for log in logs]
    assert counts(database) == {"system_accounts": 1, "default_models": 1, "models": 1}
    assert len(artifacts_in(store)) == 1


def test_starting_again_on_a_bootstrapped_database_adds_nothing(app, app_config):
    database = Path(app_config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))

    assert counts(database) == {"system_accounts": 1, "default_models": 1, "models": 1}

