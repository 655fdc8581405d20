"""``flask db upgrade`` (and ``downgrade``, ``stamp``) say which revision the database is
at when they are done: Alembic itself prints nothing on success."""

import copy
from functools import update_wrapper

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from ..extensions import db

REPORTING = ("upgrade", "downgrade", "stamp")


def revision_reached() -> str:
    """``database at revision 0007 (head): <its message>``, or why not at the head."""
    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    if not current:
        return "database at no revision: it has no schema"
    heads = set(script.get_heads())
    described = []
    for revision in current:
        where = "head" if revision in heads else f"head is {', '.join(sorted(heads))}"
        described.append(f"{revision} ({where}): {script.get_revision(revision).doc}")
    return "database at revision " + "; ".join(described)


def report_revision(group: click.Group) -> click.Group:
    """A copy of Flask-Migrate's ``db`` group whose commands that move the database print
    the revision reached (not with ``--sql``, whose output is the SQL script)."""
    reporting = copy.copy(group)
    reporting.commands = dict(group.commands)
    for name in REPORTING:
        if name in group.commands:
            reporting.commands[name] = _reporting(group.commands[name])
    return reporting


def _reporting(command: click.Command) -> click.Command:
    original = command.callback

    def callback(*args, **kwargs):
        result = original(*args, **kwargs)
        if not kwargs.get("sql"):
            click.echo(revision_reached())
        return result

    reporting = copy.copy(command)
    reporting.callback = update_wrapper(callback, original)
    return reporting
