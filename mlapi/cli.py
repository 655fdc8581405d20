"""The ``flask`` commands of the app, each in its domain's package."""

from flask import Flask

from .admin.cli import create_admin, promote
from .ops.contract import contract_cli
from .webhooks.cli import webhooks_cli


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(promote)
    app.cli.add_command(contract_cli)
    app.cli.add_command(webhooks_cli)
