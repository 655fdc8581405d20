"""``flask create-admin`` and ``flask promote``: the operator makes administrators (the API
cannot make the first one).

Every value is held to the rules of registration (``RegisterRequest``) and checked as soon
as it is known: a value typed at a prompt is asked again until it fits, a value given as an
option fails the command at once, before anything else is asked.
"""

import sys

import click
import marshmallow as ma
from flask.cli import with_appcontext

from ..auth import service as accounts
from ..auth.models import ROLE_ADMIN
from ..auth.schemas import RegisterRequest
from ..errors import Conflict
from . import service

PROCESS_LIST_WARNING = (
    "Warning: --password shows in the process list (ps) and in the shell history of this "
    "machine; leave it out to be asked, or pipe the password to --password-stdin."
)


def rule_of(field: str, **known: str):
    """A check of one field, as a prompt's ``value_proc``: the value, or ``BadParameter``
    saying what is wrong (never the value: a password's message is shown as typed).
    ``known`` holds the values checked before it: the password is scored with the
    username and email, as registration does."""

    def check(value: str) -> str:
        try:
            loaded = RegisterRequest(only=(field, *known)).load({field: value, **known})[field]
        except ma.ValidationError as exc:
            raise click.BadParameter(" ".join(exc.normalized_messages()[field])) from exc
        if field != "password" and accounts.taken(**{field: loaded}):
            raise click.BadParameter(f"That {field} is already registered.")
        return loaded

    return check


def given(field: str, value: str, source: str, **known: str) -> str:
    """A value from the command line (or standard input): checked, or the command fails."""
    try:
        return rule_of(field, **known)(value)
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint=source) from exc


def password_from_stdin() -> str:
    """The first line of standard input, without its line ending."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.UsageError("--password-stdin: standard input holds no password.")
    return line


def _named(**names: str | None) -> dict[str, str]:
    return {field: value for field, value in names.items() if value is not None}


@click.command("create-admin")
@click.option(
    "--username",
    metavar="NAME",
    help="3 to 32 letters, digits, '_', '.' or '-'. Asked for if left out.",
)
@click.option("--email", metavar="ADDRESS", help="Asked for if left out.")
@click.option(
    "--password",
    metavar="PASSWORD",
    help="10 to 128 characters, not easy to guess. Shows in the process list: prefer the prompt "
    "(hidden, asked twice) or --password-stdin.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts; "
    "needs --username and --email).",
)
@with_appcontext
def create_admin(
    username: str | None, email: str | None, password: str | None, password_stdin: bool
) -> None:
    """Create an administrator account.

    Each value is checked as it is typed, under the rules of registration: a username or
    email that is taken (in any letter case) or does not fit is asked for again.
    """
    if password_stdin and (password is not None or username is None or email is None):
        raise click.UsageError(
            "--password-stdin reads the password from standard input: "
            "give --username and --email, and leave out --password."
        )
    if password is not None:
        click.echo(PROCESS_LIST_WARNING, err=True)
    username = given("username", username, "--username") if username is not None else None
    email = given("email", email, "--email") if email is not None else None
    source = "--password-stdin" if password_stdin else "--password"
    if password_stdin:
        password = password_from_stdin()
    if password is not None:  # checked at once, with the names given so far
        password = given("password", password, source, **_named(username=username, email=email))
    names_given = username is not None and email is not None

    username = username or click.prompt("Username", value_proc=rule_of("username"))
    email = email or click.prompt("Email", value_proc=rule_of("email"))
    if password is not None and not names_given:  # scored again with the names typed since
        password = given("password", password, source, username=username, email=email)
    password = password or click.prompt(
        "Password",
        hide_input=True,
        confirmation_prompt=True,
        value_proc=rule_of("password", username=username, email=email),
    )
    try:
        user = accounts.register(username, email, password, role=ROLE_ADMIN)
    except Conflict as exc:  # registered by someone else since it was checked
        raise click.ClickException(exc.detail) from exc
    click.echo(f"Created admin {user.username} (id {user.id}).")


@click.command("promote")
@click.argument("username")
@with_appcontext
def promote(username: str) -> None:
    """Make the existing user USERNAME an administrator (any letter case)."""
    user = service.find_user_named(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    if user.is_admin:
        click.echo(f"{user.username} is an administrator already.")
        return
    service.update_user(user.id, {"role": ROLE_ADMIN})
    note = "" if user.is_active else " (the account is deactivated: reactivate it to sign in)"
    click.echo(f"{user.username} is now an administrator{note}.")
