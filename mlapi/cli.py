"""The ``flask`` commands of the app, each in its domain's package, and what every one of
them does about the database (``guard``): one line saying why it cannot work, never a
traceback."""

import copy
from collections.abc import Callable
from contextlib import contextmanager

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .admin.cli import create_admin, promote
from .bootstrap import schema_ready
from .extensions import db
from .ops.contract import contract_cli
from .ops.migrations import report_revision
from .ops.readiness import NO_SCHEMA, cause, is_refused_privilege, is_unreachable, safe_url
from .retention.cli import retention_cli
from .webhooks.cli import webhooks_cli

MIGRATIONS_COMMAND = "db"  # Flask-Migrate's: it creates the schema, so it does not need one
DATABASE_FREE_COMMANDS = {"contract"}


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(promote)
    app.cli.add_command(contract_cli)
    app.cli.add_command(webhooks_cli)
    app.cli.add_command(retention_cli)
    for name, command in list(app.cli.commands.items()):
        if name == MIGRATIONS_COMMAND:
            app.cli.commands[name] = guard(report_revision(command))
        elif name not in DATABASE_FREE_COMMANDS:
            app.cli.commands[name] = guard(command, before=_require_schema)


@contextmanager
def database_errors_explained():
    """A database that cannot be reached (no such database, refused, bad credentials) or
    refuses a privilege becomes one line on stderr and exit status 1."""
    try:
        yield
    except (DBAPIError, PoolTimeout) as exc:
        url = current_app.config["SQLALCHEMY_DATABASE_URI"]
        if is_unreachable(exc):
            message = f"cannot reach the database {safe_url(url)}: {cause(exc, url)}"
        elif is_refused_privilege(exc):
            message = (
                f"the database {safe_url(url)} refused: {cause(exc, url)} (the role "
                "must own the database: docs/production.md, section 2)"
            )
        else:
            raise
        db.session.rollback()
        raise click.ClickException(message) from None


def _require_schema() -> None:
    """The first start (which migrates when ``MLAPI_AUTO_MIGRATE`` is on), or why not."""
    if not schema_ready(current_app._get_current_object()):
        raise click.ClickException(f"{NO_SCHEMA} first")


def guard(command: click.Command, *, before: Callable[[], None] | None = None):
    """A copy of ``command`` whose database errors are explained; ``before`` runs first,
    ahead of its prompts (no typing a password for a database that is not there), unless
    only help is asked for. Subcommands of a group are covered by the group's ``invoke``."""

    class Guarded(type(command)):
        def make_context(self, info_name, args, parent=None, **extra):
            with _app_context(), database_errors_explained():
                if before is not None and _runs(self, args, extra):
                    before()
            return super().make_context(info_name, args, parent=parent, **extra)

        def invoke(self, ctx):
            with _app_context(), database_errors_explained():
                return super().invoke(ctx)

    guarded = copy.copy(command)
    guarded.__class__ = Guarded
    return guarded


def _runs(command: click.Command, args: list[str], extra: dict) -> bool:
    """False for ``--help``, shell completion, and a group named without a subcommand."""
    if extra.get("resilient_parsing") or "--help" in args:
        return False
    return bool(args) or not isinstance(command, click.Group)


@contextmanager
def _app_context():
    """The ``flask`` command line pushes one when it loads the app; a runner invoking
    ``app.cli`` itself (``app.test_cli_runner()``) leaves it to the commands."""
    if current_app:
        yield
        return
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    with app.app_context():
        yield
