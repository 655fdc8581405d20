"""``flask retention purge``: delete history and audit records past their retention period,
e.g. nightly from cron on every host (docs/production.md#retention)."""

import logging
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from .purge import BATCH_SIZE, Outcome, Report, purge

log = logging.getLogger("mlapi.retention")

retention_cli = AppGroup("retention", help="How long history and audit records are kept.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; delete nothing.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=BATCH_SIZE,
    show_default=True,
    help="Rows deleted per transaction.",
)
def purge_command(dry_run: bool, batch_size: int) -> None:
    """Delete prediction history (with its feedback) and audit records older than their
    retention period, and revoked sign-ins whose tokens have expired."""
    report = purge(
        current_app.config["HISTORY_RETENTION_DAYS"],
        current_app.config["AUDIT_RETENTION_DAYS"],
        batch_size=batch_size,
        dry_run=dry_run,
    )
    for line in lines(report, dry_run):
        click.echo(line)
    if not dry_run:
        log.info(
            "retention purge: deleted %d predictions (%d with feedback), %d audit records, "
            "%d revoked sign-ins",
            report.history.deleted,
            report.history.with_feedback,
            report.audit.deleted,
            report.revoked_logins.deleted,
        )


def lines(report: Report, dry_run: bool) -> list[str]:
    verb = "would delete" if dry_run else "deleted"
    history, audit, revoked = report.history, report.audit, report.revoked_logins
    return [
        "history: "
        + (
            f"{verb} {_count(history.deleted, 'prediction')} "
            f"({history.with_feedback:,} with feedback) {_span(history)}"
            if history.cutoff
            else "kept forever (MLAPI_HISTORY_RETENTION_DAYS=0)"
        ),
        "audit: "
        + (
            f"{verb} {_count(audit.deleted, 'record')} {_span(audit)}"
            if audit.cutoff
            else "kept forever (MLAPI_AUDIT_RETENTION_DAYS=0)"
        ),
        f"revoked sign-ins: {verb} {_count(revoked.deleted, 'sign-in')} whose tokens expired "
        f"before {_moment(revoked.cutoff)} in {_count(revoked.batches, 'batch')}",
    ]


def _span(outcome: Outcome) -> str:
    return f"older than {_moment(outcome.cutoff)} in {_count(outcome.batches, 'batch')}"


def _moment(value: datetime) -> str:
    return value.replace(tzinfo=UTC, microsecond=0).isoformat()


def _count(number: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("ch") else "s")
    return f"{number:,} {noun if number == 1 else plural}"
