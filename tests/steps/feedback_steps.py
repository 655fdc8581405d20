"""Steps of features/feedback.feature: reporting real outcomes, and a model's figures."""

import pytest
from pytest_bdd import given, parsers, then, when
from sklearn.datasets import load_diabetes, load_iris

from tests.steps.common_steps import assert_refused, assert_refused_pointing_at

POSSESSIVE = r"(?:her|his|their|(?P<owner>\w+)'s)"
PART = {"real outcome": "actual_value", "score": "score", "comment": "comment"}


@pytest.fixture
def asked_model() -> list[dict]:
    """Answers the scenario's people got from their models, oldest first."""
    return []


def _feedback(conversation, prediction_id, name, **body):
    return conversation.call("POST", f"/api/v1/predictions/{prediction_id}/feedback",
                             as_person=name, json=body)


def _ask(conversation, team_models, asked_model, name, model, features):
    response = conversation.call("POST", f"/api/v1/models/{team_models[model]}/predict",
                                 as_person=name, json={"features": features})
    assert response.status_code == 200, response.get_json()
    asked_model.append(response.get_json())


@given(parsers.re(r"(?P<name>\w+) runs mlapi as an administrator"))
def administrator(conversation, make_user, name):
    conversation.people[name] = make_user(name.lower(), role="admin",
                                          email=f"{name.lower()}@example.com")


@given(parsers.re(rf"(?P<name>\w+) has asked {POSSESSIVE} (?P<model>\w+) model about "
                  r"(?:a|(?P<count>\d+)) (?:customers?|shops?)"))
def has_asked(conversation, team_models, asked_model, name, model, count, owner):
    rows = (load_iris().data if model == "churn" else load_diabetes().data).tolist()
    for number in range(int(count or 1)):
        _ask(conversation, team_models, asked_model, name, model, rows[number * 37])


@given(parsers.parse("{name} has reported that the real outcome was class {label:d}"))
def has_reported(conversation, asked_model, name, label):
    response = _feedback(conversation, asked_model[-1]["prediction_id"], name,
                         actual_value=label)
    assert response.status_code == 201, response.get_json()


@given(parsers.parse("{name} has reported real figures {above:d} above and {below:d} below "
                     "the forecasts"))
def reported_figures(conversation, asked_model, name, above, below):
    first, second = asked_model[-2:]
    for answer, actual in ((first, first["prediction"] + above),
                           (second, second["prediction"] - below)):
        assert _feedback(conversation, answer["prediction_id"], name,
                         actual_value=actual).status_code == 201


@given(parsers.parse("{name} has reported a real figure {above:d} above the forecast"))
def reported_one_figure(conversation, asked_model, name, above):
    answer = asked_model[-1]
    assert _feedback(conversation, answer["prediction_id"], name,
                     actual_value=answer["prediction"] + above).status_code == 201


@given(parsers.parse("{name} has reported that {right:d} of the {total:d} predictions were "
                     "right"))
def reported_right(conversation, asked_model, name, right, total):
    for index, answer in enumerate(asked_model[-total:]):
        wrong = (answer["prediction"] + 1) % 3
        actual = answer["prediction"] if index < right else wrong
        assert _feedback(conversation, answer["prediction_id"], name,
                         actual_value=actual).status_code == 201


@when(parsers.re(r"(?P<name>\w+) reports that the real outcome (?:of (?P<owner>\w+)'s "
                 r"prediction )?was class (?P<label>\d+)(?:, scoring the prediction "
                 r"(?P<score>\d))?$"))
def reports_outcome(conversation, asked_model, name, owner, label, score):
    body = {"actual_value": int(label)}
    if score:
        body["score"] = int(score)
    _feedback(conversation, asked_model[-1]["prediction_id"], name, **body)


@when(parsers.re(r"(?P<name>\w+) reports (?:a score of (?P<score>\d+) for the prediction|"
                 r"a comment of (?P<length>\d+) characters)"))
def reports_badly(conversation, asked_model, name, score, length):
    body = {"actual_value": 1}
    if score:
        body["score"] = int(score)
    if length:
        body["comment"] = "x" * int(length)
    _feedback(conversation, asked_model[-1]["prediction_id"], name, **body)


@when(parsers.parse("{name} reads her latest prediction"))
def reads_latest(conversation, asked_model, name):
    conversation.call("GET", f"/api/v1/predictions/{asked_model[-1]['prediction_id']}",
                      as_person=name)


@when(parsers.re(rf"(?P<name>\w+) looks at how {POSSESSIVE} (?P<model>\w+) model is doing"
                 r"(?P<own>, from (?:her|his|their) own reports only)?"))
def looks_at_metrics(conversation, team_models, name, owner, model, own):
    conversation.call("GET", f"/api/v1/models/{team_models[model]}/metrics", as_person=name,
                      query_string={"feedback": "own"} if own else None)


@then(parsers.parse("{name}'s report is recorded"))
def recorded(conversation, asked_model, name):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 201, body
    assert body["prediction_id"] == asked_model[-1]["prediction_id"]
    assert body["score"] == 4


@then(parsers.parse("{name}'s earlier report is replaced"))
def replaced(conversation, name):
    earlier, latest = conversation.responses[-2:]
    assert (earlier.status_code, latest.status_code) == (201, 200)
    assert latest.get_json()["id"] == earlier.get_json()["id"]


@then(parsers.parse("{name}'s prediction shows the real outcome was class {label:d}"))
def shows_outcome(conversation, asked_model, name, label):
    record = conversation.call("GET", f"/api/v1/predictions/{asked_model[-1]['prediction_id']}",
                               as_person=name).get_json()
    assert record["feedback"]["actual_value"] == label


@then("the prediction shows no report yet")
def shows_no_report(conversation):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert body["feedback"] is None


@then(parsers.parse("{name} is told only the person who asked can report on it"))
def only_owner(conversation, name):
    body = assert_refused(conversation.last, 403, "forbidden")
    assert "owner" in body["detail"]


@then(parsers.parse("the report is refused, pointing at the {part}"))
def report_refused(conversation, part):
    assert_refused_pointing_at(conversation.last, PART[part])


@then(parsers.parse("she sees {predictions:d} predictions and {reports:d} reports, off by "
                    "{mae:d} on average"))
def sees_mae(conversation, predictions, reports, mae):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert (body["prediction_count"], body["feedback_count"]) == (predictions, reports)
    assert body["mae"] == pytest.approx(mae)


@then(parsers.parse("she sees it was right {percent:d} percent of the time"))
def sees_accuracy(conversation, percent):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert body["accuracy"] == pytest.approx(percent / 100)


@then("she sees no predictions and no error figure yet")
def sees_nothing(conversation):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert (body["prediction_count"], body["feedback_count"], body["mae"]) == (0, 0, None)


@then(parsers.parse("{name} is refused the figures"))
def refused_figures(conversation, name):
    assert_refused(conversation.last, 403, "forbidden")


@then(parsers.parse("{name} is shown the figures"))
def shown_figures(conversation, team_models, name):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert body["model_id"] == team_models["sales"]
