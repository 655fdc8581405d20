"""Steps of the export scenarios of features/prediction.feature: downloading one's history
as a spreadsheet (the CSV export).

"The spreadsheet" is the file the When step got (``answer``); the Then steps check it
against what its downloader asked (``asked``, of tests/steps/prediction_steps.py), and the
downloader is whoever's credentials fetched it (``Conversation.asker``). A scenario cannot
wait for a date: a step that asks "on 10 February 2026" asks now, then moves the record's
time to noon (UTC) of that day.
"""

import csv
import io
from datetime import datetime, timedelta

import pytest
from pytest_bdd import given, parsers, then, when
from sqlalchemy import update

from mlapi.extensions import db
from mlapi.predictions.models import Prediction
from tests.steps.model_steps import FEATURES, path_of
from tests.steps.prediction_steps import _ask, latest_question, patient

EXPORT = "/api/v1/predictions/export"


@pytest.fixture
def dated() -> dict[tuple[str, str], int]:
    """(model, day as the scenario wrote it) -> the prediction asked "on" that day."""
    return {}


def _move_to(app, prediction_id: int, day: str) -> None:
    noon = datetime.strptime(day, "%d %B %Y") + timedelta(hours=12)
    with app.app_context():
        db.session.execute(
            update(Prediction).where(Prediction.id == prediction_id).values(created_at=noon)
        )
        db.session.commit()


def _spreadsheet(answer) -> list[dict]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True), newline="")))


def _listed(answer) -> list[int]:
    return [int(row["prediction_id"]) for row in _spreadsheet(answer)]


@given(
    parsers.parse("{name} has reported that her latest patient's disease progressed by {value:d}")
)
def has_reported(conversation, asked, name, value):
    prediction_id = latest_question(asked, name).prediction_id
    response = conversation.call(
        "POST",
        f"/api/v1/predictions/{prediction_id}/feedback",
        as_person=name,
        json={"actual_value": value},
    )
    assert response.status_code == 201, response.get_json()


@given(parsers.parse('{name} asked "{model}" for a forecast on {day}'))
def asked_model_on(app, conversation, registry_models, dated, name, model, day):
    response = conversation.call(
        "POST",
        f"{path_of(registry_models, model)}/predict",
        as_person=name,
        json={"features": FEATURES},
    )
    assert response.status_code == 200, response.get_json()
    dated[(model, day)] = response.get_json()["prediction_id"]
    _move_to(app, dated[(model, day)], day)


@given(parsers.parse("{name} asked the default model about a patient on {day}"))
def asked_default_on(app, conversation, asked, dated, name, day):
    response = _ask(conversation, asked, name, patient())
    assert response.status_code == 200, response.get_json()
    dated[("the default model", day)] = response.get_json()["prediction_id"]
    _move_to(app, dated[("the default model", day)], day)


@when(
    parsers.re(r"(?P<name>\w+) downloads (?:her|his|their) prediction history as a spreadsheet"),
    target_fixture="answer",
)
def download(conversation, name):
    return conversation.call("GET", EXPORT, as_person=name)


@when(
    parsers.parse('{name} downloads her predictions from "{model}" for {month}'),
    target_fixture="answer",
)
def download_period(conversation, registry_models, name, model, month):
    start = datetime.strptime(month, "%B %Y")
    end = (start + timedelta(days=31)).replace(day=1)
    query = {
        "model_id": registry_models[model]["id"],
        "since": f"{start.isoformat()}+00:00",
        "until": f"{end.isoformat()}+00:00",
    }
    return conversation.call("GET", EXPORT, as_person=name, query_string=query)


@then(parsers.parse("the spreadsheet lists her {count:d} predictions, newest first"))
def lists_newest_first(conversation, asked, answer, count):
    owner = conversation.asker(answer)
    newest_first = [q.prediction_id for q in reversed(asked[owner])]
    assert len(newest_first) == count
    assert _listed(answer) == newest_first


@then(parsers.parse("the spreadsheet shows that the newest one progressed by {value:d}"))
def newest_outcome(answer, value):
    newest = _spreadsheet(answer)[0]
    assert float(newest["feedback_actual"]) == value
    assert newest["feedback_at"]


@then(parsers.parse("the spreadsheet shows no outcome yet for the {count:d} others"))
def no_outcome(answer, count):
    others = _spreadsheet(answer)[1:]
    assert len(others) == count
    assert all(row["feedback_actual"] == row["feedback_at"] == "" for row in others)


@then(parsers.parse("the spreadsheet lists only {name}'s prediction"))
def lists_only(conversation, asked, answer, name):
    assert conversation.asker(answer) == name
    assert _listed(answer) == [q.prediction_id for q in reversed(asked[name])]


@then(parsers.parse("the spreadsheet lists only her forecast of {day}"))
def lists_only_forecast(dated, answer, day):
    [(model, _)] = [key for key in dated if key[1] == day]
    assert _listed(answer) == [dated[(model, day)]]
