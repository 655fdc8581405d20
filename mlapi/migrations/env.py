"""Alembic environment: the app's engine and metadata, batch mode for SQLite.

Logging is left to the app (no ``fileConfig``), so running migrations at start-up does
not silence the app's loggers.
"""

from alembic import context
from flask import current_app

db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _skip_empty_autogenerate(context_, _revision, directives) -> None:
    autogenerating = getattr(context_.config.cmd_opts, "autogenerate", False)
    if autogenerating and directives[0].upgrade_ops.is_empty():
        directives[:] = []


def run_migrations_online() -> None:
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            process_revision_directives=_skip_empty_autogenerate,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
