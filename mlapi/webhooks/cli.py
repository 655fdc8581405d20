"""``flask webhooks deliver``: send what is due now, e.g. from cron where no worker runs."""

import click
from flask.cli import AppGroup

from .dispatch import deliver_due

webhooks_cli = AppGroup("webhooks", help="Webhook deliveries.")


@webhooks_cli.command("deliver")
def deliver() -> None:
    """Send every webhook delivery that is due, once (several at a time)."""
    outcomes = deliver_due()
    total = sum(outcomes.values())
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
    noun = "attempt" if total == 1 else "attempts"
    click.echo(f"Made {total} delivery {noun}" + (f": {summary}." if total else "."))
