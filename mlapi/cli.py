"""``flask create-admin``."""

import click
import marshmallow as ma
from flask import Flask
from flask.cli import with_appcontext

from .auth import service
from .auth.models import ROLE_ADMIN
from .auth.schemas import RegisterRequest
from .errors import Conflict
from .ops.contract import contract_cli
from .webhooks.cli import webhooks_cli


@click.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--email", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_admin(username: str, email: str, password: str) -> None:
    """Create an administrator account."""
    try:
        data = RegisterRequest().load({"username": username, "email": email,
                                       "password": password})
        user = service.register(**data, role=ROLE_ADMIN)
    except ma.ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in
                             exc.normalized_messages().items())
        raise click.ClickException(problems) from exc
    except Conflict as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"Created admin {user.username} (id {user.id}).")


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(contract_cli)
    app.cli.add_command(webhooks_cli)
