"""What a row of the audit sweep is (tests/support/audit.py): the stage it acts on and
the change it makes."""

from collections.abc import Callable
from dataclasses import dataclass

from mlapi.extensions import db


@dataclass
class Stage:
    """What a change works with: the client, an admin and a user with their headers."""

    app: object
    client: object
    admin: object
    admin_headers: dict
    user: object
    user_headers: dict
    upload_model: Callable
    kept: dict  # what ``prepare`` made, for ``perform``


@dataclass
class Change:
    """One action of the sweep: ``perform`` makes the change and answers its response;
    ``observe`` reads what the change changes (the atomicity test compares it before and
    after a failed attempt); ``actor`` names who acts ("admin" or "user")."""

    target_type: str
    perform: Callable[[Stage], object]
    observe: Callable[[Stage], object]
    prepare: Callable[[Stage], None] = lambda stage: None
    actor: str = "admin"
    details: Callable[[Stage], dict] = lambda stage: {}  # some of the record's details


def action_of(row: str) -> str:
    """The action a ``SWEEP`` row writes: ``"alias.deleted (removed)"`` -> ``alias.deleted``."""
    return row.split(" ", 1)[0]


def read_rows(stage: Stage, statement):
    """The rows ``statement`` selects, read in a context of their own."""
    with stage.app.app_context():
        return db.session.execute(statement).all()
