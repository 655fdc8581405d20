"""Steps of features/retention.feature: the retention settings, the nightly clean-up
(``flask retention purge``) and what it leaves.

Rows are aged by rewriting their time in the database; the clean-up runs on the real clock.
The clean-up's output is passed on as ``clean_up``; the audit record a Given step wrote as
``audit_record``.
"""

from datetime import timedelta

import pytest
from pytest_bdd import given, parsers, then, when
from sqlalchemy import func, select, update

from mlapi.audit.models import AuditEvent
from mlapi.extensions import db
from mlapi.predictions.models import Feedback, Prediction
from mlapi.timeutil import utcnow
from tests.support.history_rows import add_audit_records


def _asked(asked_model, name) -> list[int]:
    assert asked_model.get(name), f"{name} has had no prediction in this scenario"
    return [answer["prediction_id"] for answer in asked_model[name]]


@given(parsers.parse("the operator keeps history for {days:d} days"))
def keeps_history(app, days):
    app.config["HISTORY_RETENTION_DAYS"] = days


@given(parsers.parse("{name} asked those {days:d} days ago"))
def asked_days_ago(app, asked_model, name, days):
    """Every prediction ``name`` has had so far was made ``days`` ago."""
    with app.app_context():
        db.session.execute(
            update(Prediction)
            .where(Prediction.id.in_(_asked(asked_model, name)))
            .values(created_at=utcnow() - timedelta(days=days))
        )
        db.session.commit()


@given(
    parsers.parse("the audit log holds a record from {days:d} days ago"),
    target_fixture="audit_record",
)
def old_audit_record(app, days):
    [record] = add_audit_records(app, utcnow() - timedelta(days=days))
    return record


@when("the nightly clean-up runs", target_fixture="clean_up")
def nightly_clean_up(app):
    return _clean_up(app)


@when("the operator tries the clean-up as a trial run", target_fixture="clean_up")
def trial_run(app):
    return _clean_up(app, "--dry-run")


def _clean_up(app, *options) -> str:
    result = app.test_cli_runner().invoke(args=["retention", "purge", *options])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def clean_up():
    pytest.fail("no When step of this scenario ran the clean-up", pytrace=False)


@then(parsers.parse("{name} has {count:d} predictions left"))
def predictions_left(conversation, name, count):
    answer = conversation.call("GET", "/api/v1/predictions", as_person=name)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["total"] == count


@then(parsers.parse("{name}'s reports on them are gone too"))
def reports_gone(app, asked_model, name):
    with app.app_context():
        left = db.session.scalar(
            select(func.count(Feedback.id)).where(
                Feedback.prediction_id.in_(_asked(asked_model, name))
            )
        )
    assert left == 0


@then(
    parsers.re(
        r"the clean-up says it (?P<verb>cleared|would clear) (?P<count>\d+) predictions, "
        r"(?P<feedback>\d+) of them with feedback"
    )
)
def says_cleared(clean_up, verb, count, feedback):
    done = "deleted" if verb == "cleared" else "would delete"
    assert f"history: {done} {count} predictions ({feedback} with feedback)" in clean_up


@then("the clean-up says history is kept for ever")
def says_kept(clean_up):
    assert "history: kept forever (MLAPI_HISTORY_RETENTION_DAYS=0)" in clean_up


@then(parsers.re(r"that audit record is (?P<fate>kept|cleared)"))
def audit_record_fate(app, audit_record, fate):
    with app.app_context():
        present = db.session.get(AuditEvent, audit_record) is not None
    assert present == (fate == "kept")
