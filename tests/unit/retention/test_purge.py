"""``flask retention purge``: history older than MLAPI_HISTORY_RETENTION_DAYS goes with its
feedback, audit records older than MLAPI_AUDIT_RETENTION_DAYS go, revoked sign-ins whose
tokens have expired go; the rest stays, a dry run deletes nothing, and a model's figures
cover what remains. The clock is frozen; rows are written with the age the test needs."""

from datetime import datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import select

from mlapi.audit.models import AuditEvent
from mlapi.auth.models import RevokedLogin
from mlapi.extensions import db
from mlapi.predictions.models import Feedback, Prediction
from tests.support.history_rows import (
    add_audit_records,
    add_predictions,
    add_revoked_login,
    prediction_ids,
    rows,
)

NOW = datetime(2026, 12, 7, 23, 0, 0)
DAY = timedelta(days=1)


def purge(app, *args):
    """The command as cron runs it, at ``NOW``."""
    with freeze_time(NOW):
        return app.test_cli_runner().invoke(args=["retention", "purge", *args])


def test_history_older_than_the_period_goes_and_newer_stays(configured_app, stored_model_for):
    app = configured_app(HISTORY_RETENTION_DAYS=30)
    owner, model_id = stored_model_for(app)
    old = add_predictions(app, owner.id, model_id, NOW - 31 * DAY, 2)
    at_cutoff = add_predictions(app, owner.id, model_id, NOW - 30 * DAY)
    recent = add_predictions(app, owner.id, model_id, NOW - 29 * DAY, 2)

    result = purge(app)

    assert result.exit_code == 0, result.output
    assert prediction_ids(app) == set(at_cutoff + recent)  # at the cut-off is not older
    assert not set(old) & prediction_ids(app)


def test_feedback_goes_with_its_prediction(configured_app, stored_model_for):
    app = configured_app(HISTORY_RETENTION_DAYS=30)
    owner, model_id = stored_model_for(app)
    add_predictions(app, owner.id, model_id, NOW - 40 * DAY, 3, feedback=True)
    add_predictions(app, owner.id, model_id, NOW - 40 * DAY, 2)
    add_predictions(app, owner.id, model_id, NOW - DAY, 1, feedback=True)

    result = purge(app)

    assert "deleted 5 predictions (3 with feedback)" in result.output
    assert (rows(app, Prediction), rows(app, Feedback)) == (1, 1)


def test_history_is_kept_forever_by_default(configured_app, stored_model_for):
    app = configured_app()
    owner, model_id = stored_model_for(app)
    add_predictions(app, owner.id, model_id, NOW - 3650 * DAY, 2, feedback=True)

    result = purge(app)

    assert "history: kept forever (MLAPI_HISTORY_RETENTION_DAYS=0)" in result.output
    assert (rows(app, Prediction), rows(app, Feedback)) == (2, 2)


def test_the_audit_log_keeps_a_year_by_default(configured_app):
    app = configured_app()
    before = rows(app, AuditEvent)  # the seed's own records are from today
    add_audit_records(app, NOW - 366 * DAY, 3)
    add_audit_records(app, NOW - 364 * DAY, 2)

    result = purge(app)

    assert "audit: deleted 3 records older than 2025-12-07T23:00:00+00:00" in result.output
    assert rows(app, AuditEvent) == before + 2


def test_an_audit_period_of_0_keeps_every_record(configured_app):
    app = configured_app(AUDIT_RETENTION_DAYS=0)
    add_audit_records(app, NOW - 3650 * DAY, 2)
    before = rows(app, AuditEvent)

    result = purge(app)

    assert "audit: kept forever (MLAPI_AUDIT_RETENTION_DAYS=0)" in result.output
    assert rows(app, AuditEvent) == before


def test_revoked_sign_ins_go_once_their_tokens_have_expired(configured_app, stored_model_for):
    app = configured_app()
    owner, _ = stored_model_for(app)
    add_revoked_login(app, owner.id, "expired", NOW - timedelta(seconds=1))
    add_revoked_login(app, owner.id, "still-valid", NOW + DAY)

    result = purge(app)

    assert "revoked sign-ins: deleted 1 sign-in whose tokens expired" in result.output
    with app.app_context():
        assert db.session.scalars(select(RevokedLogin.login_id)).all() == ["still-valid"]


def test_a_dry_run_deletes_nothing_and_says_what_it_would(configured_app, stored_model_for):
    app = configured_app(HISTORY_RETENTION_DAYS=30)
    owner, model_id = stored_model_for(app)
    add_predictions(app, owner.id, model_id, NOW - 31 * DAY, 3, feedback=True)
    add_predictions(app, owner.id, model_id, NOW - 31 * DAY, 2)
    add_audit_records(app, NOW - 400 * DAY, 4)
    audit_before = rows(app, AuditEvent)

    result = purge(app, "--dry-run", "--batch-size", "2")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "history: would delete 5 predictions (3 with feedback) older than "
        "2026-11-07T23:00:00+00:00 in 3 batches",
        "audit: would delete 4 records older than 2025-12-07T23:00:00+00:00 in 2 batches",
    ]
    assert (rows(app, Prediction), rows(app, Feedback)) == (5, 3)
    assert rows(app, AuditEvent) == audit_before


def test_the_purge_works_in_batches(configured_app, stored_model_for):
    app = configured_app(HISTORY_RETENTION_DAYS=30)
    owner, model_id = stored_model_for(app)
    add_predictions(app, owner.id, model_id, NOW - 60 * DAY, 3, feedback=True)
    add_predictions(app, owner.id, model_id, NOW - 50 * DAY, 2)

    result = purge(app, "--batch-size", "2")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "history: deleted 5 predictions (3 with feedback) older than "
        "2026-11-07T23:00:00+00:00 in 3 batches",
        "audit: deleted 0 records older than 2025-12-07T23:00:00+00:00 in 0 batches",
        "revoked sign-ins: deleted 0 sign-ins whose tokens expired before "
        "2026-12-07T23:00:00+00:00 in 0 batches",
    ]
    assert rows(app, Prediction) == 0


def test_the_batch_size_is_a_positive_number(configured_app):
    result = purge(configured_app(), "--batch-size", "0")

    assert result.exit_code == 2
    assert "--batch-size" in result.output


def test_a_models_figures_cover_what_remains(configured_app, stored_model_for, request):
    app = configured_app(HISTORY_RETENTION_DAYS=30)
    client = request.getfixturevalue("client")
    owner, model_id = stored_model_for(app)
    add_predictions(app, owner.id, model_id, NOW - 31 * DAY, 3, feedback=True)
    add_predictions(app, owner.id, model_id, NOW - DAY, 2, feedback=True)
    metrics = f"/api/v1/models/{model_id}/metrics"
    assert client.get(metrics, headers=owner.headers).get_json()["prediction_count"] == 5

    purge(app)

    body = client.get(metrics, headers=owner.headers).get_json()
    assert (body["prediction_count"], body["feedback_count"]) == (2, 2)


def test_one_line_is_logged_per_run(configured_app, stored_model_for, caplog):
    app = configured_app(HISTORY_RETENTION_DAYS=30)
    owner, model_id = stored_model_for(app)
    add_predictions(app, owner.id, model_id, NOW - 31 * DAY, 2, feedback=True)

    with caplog.at_level("INFO", logger="mlapi.retention"):
        purge(app)

    assert [r.getMessage() for r in caplog.records if r.name == "mlapi.retention"] == [
        "retention purge: deleted 2 predictions (2 with feedback), 0 audit records, "
        "0 revoked sign-ins"
    ]
