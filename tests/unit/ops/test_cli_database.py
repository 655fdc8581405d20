"""Every ``flask`` command on a database it cannot use: one line naming the cause, exit
status 1, never a traceback and never the URL's password; ``flask db upgrade`` on a fresh
database: no warning that the schema it creates is missing, and the revision it reached.

The commands run as an operator runs them: through Flask's own ``flask`` group, which loads
the app while it looks the command up (``FlaskGroup(create_app=...)``, in process), and
once for real in a subprocess (``python -m flask --app wsgi``).
"""

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from flask.cli import FlaskGroup
from sqlalchemy.engine import make_url

from mlapi import create_app
from mlapi.bootstrap import MIGRATIONS_DIR
from tests.support.servers import PostgresDatabases
from tests.support.settings import TEST_DATABASE_URL, TEST_SECRET_KEY

PASSWORD = "pw-that-must-not-show"
REPOSITORY = Path(__file__).resolve().parents[3]
NEEDS_POSTGRESQL = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL only with MLAPI_TEST_DATABASE_URL set"
)
COMMANDS = [
    ["db", "upgrade"],
    ["db", "current"],
    ["create-admin"],
    ["webhooks", "deliver"],
    ["retention", "purge"],
]
COMMAND_IDS = [" ".join(command) for command in COMMANDS]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def head_revision() -> str:
    [head] = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    return head


@pytest.fixture
def flask_command(app_config, monkeypatch):
    """``flask_command(args, DATABASE_URL)``: the ``flask`` command line on that database
    (``FLASK_RUN_FROM_CLI``, which the group sets, is put back afterwards)."""
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "")

    def run(args: list[str], database_url: str, **settings):
        config = {**app_config, "SQLALCHEMY_DATABASE_URI": database_url, **settings}
        group = FlaskGroup(create_app=lambda: create_app(config), load_dotenv=False)
        return CliRunner().invoke(group, args)

    return run


def assert_one_line_error(result, *expected: str) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for text in expected:
        assert text in lines[0]
    assert PASSWORD not in result.output
    assert "Traceback" not in result.output
    return lines[0]


def postgres_url(*, database: str, user: str | None = None, port: int | None = None) -> str:
    server = make_url(TEST_DATABASE_URL or "postgresql+psycopg://postgres@127.0.0.1:5432/x")
    return server.set(
        database=database,
        username=user or server.username,
        password=PASSWORD,
        port=port or server.port,
    ).render_as_string(hide_password=False)


@pytest.mark.parametrize("args", COMMANDS, ids=COMMAND_IDS)
def test_a_refused_connection_is_one_line(flask_command, args):
    url = postgres_url(database="mlapi", port=closed_port())

    result = flask_command(args, url)

    line = assert_one_line_error(result, "Error: cannot reach the database", "Connection refused")
    assert make_url(url).render_as_string(hide_password=True) in line  # which one, no secret


@NEEDS_POSTGRESQL
@pytest.mark.parametrize("args", COMMANDS, ids=COMMAND_IDS)
def test_a_database_that_does_not_exist_is_one_line(flask_command, args):
    result = flask_command(args, postgres_url(database="mlapi_no_such_database"))

    assert_one_line_error(
        result, "cannot reach the database", 'database "mlapi_no_such_database" does not exist'
    )


@NEEDS_POSTGRESQL
def test_an_unknown_role_is_one_line(flask_command):
    result = flask_command(
        ["db", "upgrade"], postgres_url(database="postgres", user="mlapi_no_such_role")
    )

    assert_one_line_error(
        result, "cannot reach the database", 'role "mlapi_no_such_role" does not exist'
    )


@pytest.fixture
def database_owned_by_someone_else(worker_id):
    """A database owned by the server's superuser, and a role that may only connect to it:
    on PostgreSQL 15 that role may not create tables in its ``public`` schema."""
    databases = PostgresDatabases(TEST_DATABASE_URL, f"{worker_id}_not_owner")
    role = f"{databases.prefix}_role"
    try:
        url = make_url(databases.create())
        with databases.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
            connection.execute(sa.text(f'GRANT CONNECT ON DATABASE "{url.database}" TO "{role}"'))
        yield url.set(username=role, password=PASSWORD).render_as_string(hide_password=False)
    finally:
        databases.drop_all()
        with sa.create_engine(
            databases.server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        ).connect() as connection:
            connection.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))


@NEEDS_POSTGRESQL
def test_a_role_that_may_not_create_tables_is_one_line(
    flask_command, database_owned_by_someone_else
):
    result = flask_command(["db", "upgrade"], database_owned_by_someone_else)

    assert_one_line_error(
        result, "refused: permission denied for schema public", "the role must own the database"
    )


def test_a_sqlite_file_that_cannot_be_opened_is_one_line(flask_command, tmp_path):
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'mlapi.db'}"

    result = flask_command(["db", "upgrade"], url)

    assert_one_line_error(result, "cannot reach the database", "unable to open database file")
    assert not (tmp_path / "no-such-folder").exists()


def test_create_admin_asks_for_nothing_when_the_database_is_not_there(flask_command):
    result = flask_command(["create-admin"], postgres_url(database="mlapi", port=closed_port()))

    assert_one_line_error(result, "cannot reach the database")
    assert "Username" not in result.output


@pytest.mark.parametrize(
    "args", [["create-admin"], ["webhooks", "deliver"]], ids=["create-admin", "webhooks deliver"]
)
def test_a_command_on_a_database_with_no_schema_says_to_upgrade(flask_command, tmp_path, args):
    result = flask_command(args, f"sqlite:///{tmp_path / 'fresh.db'}", AUTO_MIGRATE=False)

    assert_one_line_error(result, "the database has no schema yet: run `flask db upgrade`")


def test_db_upgrade_on_a_fresh_database_reports_the_revision_and_warns_nothing(
    flask_command, tmp_path
):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    first = flask_command(["db", "upgrade"], url, AUTO_MIGRATE=False)
    again = flask_command(["db", "upgrade"], url, AUTO_MIGRATE=False)

    for result in (first, again):
        assert result.exit_code == 0, result.output
        assert "no schema" not in result.output
        [line] = result.output.splitlines()
        assert line.startswith(f"database at revision {head_revision()} (head): ")


def test_db_downgrade_reports_where_the_database_is_now(flask_command, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    flask_command(["db", "upgrade"], url, AUTO_MIGRATE=False)

    result = flask_command(["db", "downgrade", "base"], url, AUTO_MIGRATE=False)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "database at no revision: it has no schema"


def test_db_upgrade_with_sql_prints_only_the_script(flask_command, tmp_path):
    result = flask_command(
        ["db", "upgrade", "--sql"], f"sqlite:///{tmp_path / 'fresh.db'}", AUTO_MIGRATE=False
    )

    assert result.exit_code == 0, result.output
    assert "database at revision" not in result.output
    assert "CREATE TABLE" in result.output


def test_commands_that_load_the_app_themselves_start_it_as_a_server_would(flask_command, tmp_path):
    """``flask run`` (here ``flask routes``, which loads the app the same way, from inside
    the command) runs the first start: with auto-migration on, the schema and the default
    model are there before the first request."""
    database = tmp_path / "fresh.db"

    result = flask_command(["routes"], f"sqlite:///{database}", AUTO_MIGRATE=True)

    assert result.exit_code == 0, result.output
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name FROM ml_models WHERE is_default").fetchall() == [
            ("diabetes-linear",)
        ]


@pytest.mark.slow
def test_the_real_command_line_on_a_closed_port(tmp_path):
    url = postgres_url(database="mlapi", port=closed_port())
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLAPI_")}
    env.update(
        MLAPI_ENV="production",
        MLAPI_SECRET_KEY=TEST_SECRET_KEY,
        MLAPI_DATABASE_URL=url,
        MLAPI_INSTANCE_PATH=str(tmp_path / "instance"),
    )

    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert finished.returncode == 1
    assert finished.stdout == ""
    assert finished.stderr.splitlines() == [
        f"Error: cannot reach the database {make_url(url).render_as_string()}: Connection refused"
    ]


@pytest.mark.slow
def test_a_setting_that_cannot_make_a_safe_app_is_one_line_too(tmp_path):
    """The sample environment's placeholder metrics token, left in place."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLAPI_")}
    env.update(
        MLAPI_ENV="production",
        MLAPI_SECRET_KEY=TEST_SECRET_KEY,
        MLAPI_METRICS_TOKEN="CHANGE-ME",
        MLAPI_INSTANCE_PATH=str(tmp_path / "instance"),
        MLAPI_DATABASE_URL=f"sqlite:///{tmp_path / 'mlapi.db'}",
    )

    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert finished.returncode == 1
    assert finished.stderr.splitlines() == [
        "Error: mlapi cannot start: MLAPI_METRICS_TOKEN still holds the sample's placeholder: "
        "set a token of your own (or unset it to leave /metrics open)"
    ]
