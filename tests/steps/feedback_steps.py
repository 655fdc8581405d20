"""Steps of features/feedback.feature: reporting real outcomes, and a model's figures.

The answers each person got from a model (``asked_model``) and the reports each person sent
(``reported``) are kept by person; the answer a When step got is passed on as ``answer``.
"""

from dataclasses import dataclass

import pytest
from pytest_bdd import given, parsers, then, when
from sklearn.datasets import load_diabetes, load_iris

from tests.steps.common_steps import answer_to, assert_refused, assert_refused_pointing_at

POSSESSIVE = r"(?:her|his|their|(?P<owner>\w+)'s)"
PART = {"real outcome": "actual_value", "score": "score", "comment": "comment"}


@dataclass
class Report:
    sent: dict  # what the person reported
    answer: object  # what the API answered


@pytest.fixture
def asked_model() -> dict[str, list[dict]]:
    """Per person, the answers they got from the scenario's models, oldest first."""
    return {}


@pytest.fixture
def reported() -> dict[str, list[Report]]:
    """Per person, the reports they sent, oldest first."""
    return {}


def _latest(asked_model, name) -> int:
    """The id of the latest prediction ``name`` got."""
    assert asked_model.get(name), f"{name} has had no prediction in this scenario"
    return asked_model[name][-1]["prediction_id"]


def _feedback(conversation, reported, prediction_id, name, **body):
    response = conversation.call(
        "POST", f"/api/v1/predictions/{prediction_id}/feedback", as_person=name, json=body
    )
    reported.setdefault(name, []).append(Report(body, response))
    return response


def _model(team_models, owner, model):
    """The scenario's model of that name, checked to be the named person's."""
    record = team_models[model]
    assert record.owner == owner, f"\"{model}\" is {record.owner}'s, not {owner}'s"
    return record


@given(parsers.re(r"(?P<name>\w+) runs mlapi as an administrator"))
def administrator(conversation, make_user, name):
    conversation.people[name] = make_user(
        name.lower(), role="admin", email=f"{name.lower()}@example.com"
    )


@given(
    parsers.re(
        rf"(?P<name>\w+) has asked {POSSESSIVE} (?P<model>\w+) model about "
        r"(?:a|(?P<count>\d+)) (?:customers?|shops?)"
    )
)
def has_asked(conversation, team_models, asked_model, name, model, count, owner):
    record = _model(team_models, owner or name, model)
    rows = (load_iris() if record.kind == "classifier" else load_diabetes()).data.tolist()
    for number in range(int(count or 1)):
        response = conversation.call(
            "POST",
            f"/api/v1/models/{record.id}/predict",
            as_person=name,
            json={"features": rows[number * 37]},
        )
        assert response.status_code == 200, response.get_json()
        asked_model.setdefault(name, []).append(response.get_json())


@given(parsers.parse("{name} has reported that the real outcome was class {label:d}"))
def has_reported(conversation, asked_model, reported, name, label):
    response = _feedback(
        conversation, reported, _latest(asked_model, name), name, actual_value=label
    )
    assert response.status_code == 201, response.get_json()


@given(
    parsers.parse(
        "{name} has reported real figures {above:d} above and {below:d} below the forecasts"
    )
)
def reported_figures(conversation, asked_model, reported, name, above, below):
    first, second = asked_model[name][-2:]
    for answer, actual in (
        (first, first["prediction"] + above),
        (second, second["prediction"] - below),
    ):
        assert (
            _feedback(
                conversation, reported, answer["prediction_id"], name, actual_value=actual
            ).status_code
            == 201
        )


@given(parsers.parse("{name} has reported a real figure {above:d} above the forecast"))
def reported_one_figure(conversation, asked_model, reported, name, above):
    answer = asked_model[name][-1]
    assert (
        _feedback(
            conversation,
            reported,
            answer["prediction_id"],
            name,
            actual_value=answer["prediction"] + above,
        ).status_code
        == 201
    )


@given(parsers.parse("{name} has reported that {right:d} of the {total:d} predictions were right"))
def reported_right(conversation, asked_model, reported, name, right, total):
    for index, answer in enumerate(asked_model[name][-total:]):
        wrong = (answer["prediction"] + 1) % 3
        actual = answer["prediction"] if index < right else wrong
        assert (
            _feedback(
                conversation, reported, answer["prediction_id"], name, actual_value=actual
            ).status_code
            == 201
        )


@when(
    parsers.re(
        r"(?P<name>\w+) reports that the real outcome (?:of (?P<owner>\w+)'s "
        r"prediction )?was class (?P<label>\d+)(?:, scoring the prediction "
        r"(?P<score>\d))?$"
    ),
    target_fixture="answer",
)
def reports_outcome(conversation, asked_model, reported, name, owner, label, score):
    body = {"actual_value": int(label)}
    if score:
        body["score"] = int(score)
    return _feedback(conversation, reported, _latest(asked_model, owner or name), name, **body)


@when(
    parsers.re(
        r"(?P<name>\w+) reports (?:a score of (?P<score>\d+) for the prediction|"
        r"a comment of (?P<length>\d+) characters)"
    ),
    target_fixture="answer",
)
def reports_badly(conversation, asked_model, reported, name, score, length):
    body = {"actual_value": 1}
    if score:
        body["score"] = int(score)
    if length:
        body["comment"] = "x" * int(length)
    return _feedback(conversation, reported, _latest(asked_model, name), name, **body)


@when(parsers.parse("{name} reads her latest prediction"), target_fixture="answer")
def reads_latest(conversation, asked_model, name):
    return conversation.call(
        "GET", f"/api/v1/predictions/{_latest(asked_model, name)}", as_person=name
    )


@when(
    parsers.re(
        rf"(?P<name>\w+) looks at how {POSSESSIVE} (?P<model>\w+) model is doing"
        r"(?P<own>, from (?:her|his|their) own reports only)?"
    ),
    target_fixture="answer",
)
def looks_at_metrics(conversation, team_models, name, owner, model, own):
    record = _model(team_models, owner or name, model)
    return conversation.call(
        "GET",
        f"/api/v1/models/{record.id}/metrics",
        as_person=name,
        query_string={"feedback": "own"} if own else None,
    )


@then(parsers.parse("{name}'s report is recorded"))
def recorded(conversation, asked_model, reported, answer, name):
    body = answer_to(conversation, answer, name).get_json()
    assert answer.status_code == 201, body
    sent = reported[name][-1].sent
    assert body["prediction_id"] == _latest(asked_model, name)
    assert (body["actual_value"], body["score"]) == (sent["actual_value"], sent.get("score"))


@then(parsers.parse("{name}'s earlier report is replaced"))
def replaced(conversation, reported, answer, name):
    *_, earlier, latest = reported[name]
    assert latest.answer is answer_to(conversation, answer, name)
    assert (earlier.answer.status_code, answer.status_code) == (201, 200)
    assert answer.get_json()["id"] == earlier.answer.get_json()["id"]


@then(parsers.parse("{name}'s prediction shows the real outcome was class {label:d}"))
def shows_outcome(conversation, asked_model, name, label):
    record = conversation.call(
        "GET", f"/api/v1/predictions/{_latest(asked_model, name)}", as_person=name
    ).get_json()
    assert record["feedback"]["actual_value"] == label


@then("the prediction shows no report yet")
def shows_no_report(answer):
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert body["feedback"] is None


@then(parsers.parse("{name} is told only the person who asked can report on it"))
def only_owner(conversation, answer, name):
    body = assert_refused(answer_to(conversation, answer, name), 403, "forbidden")
    assert "owner" in body["detail"]


@then(parsers.parse("the report is refused, pointing at the {part}"))
def report_refused(answer, part):
    assert_refused_pointing_at(answer, PART[part])


@then(
    parsers.parse(
        "she sees {predictions:d} predictions and {reports:d} reports, off by {mae:d} on average"
    )
)
def sees_mae(answer, predictions, reports, mae):
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert (body["prediction_count"], body["feedback_count"]) == (predictions, reports)
    assert body["mae"] == pytest.approx(mae)


@then(parsers.parse("she sees it was right {percent:d} percent of the time"))
def sees_accuracy(answer, percent):
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert body["accuracy"] == pytest.approx(percent / 100)


@then("she sees no predictions and no error figure yet")
def sees_nothing(answer):
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert (body["prediction_count"], body["feedback_count"], body["mae"]) == (0, 0, None)


@then(parsers.parse("{name} is refused the figures"))
def refused_figures(conversation, answer, name):
    assert_refused(answer_to(conversation, answer, name), 403, "forbidden")


@then(parsers.parse("{name} is shown the figures"))
def shown_figures(conversation, answer, name):
    """The figures of the model they looked at."""
    body = answer_to(conversation, answer, name).get_json()
    assert answer.status_code == 200, body
    assert answer.request.path == f"/api/v1/models/{body['model_id']}/metrics"
