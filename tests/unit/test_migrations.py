"""The schema comes from the migrations alone: they must build what the models describe,
and go down to nothing and up again.

On SQLite always; on PostgreSQL too when the suite runs against it
(``MLAPI_TEST_DATABASE_URL``, tox -e services), each test in a throwaway database.
"""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mlapi import create_app
from mlapi.extensions import db
from tests.support.servers import PostgresDatabases
from tests.support.settings import TEST_DATABASE_URL
from tests.support.settings import testing_config as settings_for

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not TEST_DATABASE_URL, reason="PostgreSQL only with MLAPI_TEST_DATABASE_URL set"
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def bare_app(request, tmp_path, worker_id):
    """An app on an empty database: no schema, nothing bootstrapped."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        databases = None
    else:
        databases = PostgresDatabases(TEST_DATABASE_URL, f"{worker_id}_migrations")
        url = databases.create()
    app = create_app(settings_for(url, tmp_path / "models", tmp_path / "instance", BOOTSTRAP=False))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if databases is not None:
        databases.drop_all()


def flask_db(app, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, (result.output, result.exception)


def tables(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_the_migrations_build_exactly_what_the_models_describe(bare_app):
    flask_db(bare_app, "upgrade")

    assert differences(bare_app) == []


def test_the_migrations_go_down_to_nothing_and_up_again(bare_app):
    model_tables = set(db.metadata.tables)

    flask_db(bare_app, "upgrade")
    assert model_tables <= tables(bare_app)

    flask_db(bare_app, "downgrade", "base")
    assert tables(bare_app) <= {"alembic_version"}

    flask_db(bare_app, "upgrade")
    assert model_tables <= tables(bare_app)
    assert differences(bare_app) == []


def test_existing_accounts_and_models_come_through_the_teams_migration(bare_app):
    """0008: every username claims its name (a team cannot take it), and every model already
    uploaded was uploaded by its owner."""
    flask_db(bare_app, "upgrade", "0007")
    with bare_app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (id, username, username_key, email, email_key, password_hash,"
                " role, is_active, created_at, session_generation) VALUES (7, 'Rita', 'rita',"
                " 'rita@example.com', 'rita@example.com', 'x', 'user', true, '2026-01-01', 0)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO ml_models (id, owner_id, name, version, model_type, task, n_features,"
                " visibility, sha256, size_bytes, is_default, created_at) VALUES (3, 7, 'churn',"
                " 1, 'sklearn', 'regression', 2, 'private', :digest, 10, false, '2026-01-01')"
            ),
            {"digest": "0" * 64},
        )

    flask_db(bare_app, "upgrade")

    with bare_app.app_context(), db.engine.connect() as connection:
        claims = connection.execute(sa.text("SELECT key, kind FROM namespaces")).all()
        uploaders = connection.execute(sa.text("SELECT id, uploaded_by_id, team_id FROM ml_models"))
        assert claims == [("rita", "user")]
        assert uploaders.all() == [(3, 7, None)]
