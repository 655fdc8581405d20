"""Steps of features/prediction.feature: asking the default model, and the history.

What each person asked is kept by person (``asked``), the answer a When step got is passed
to the Then steps as ``answer``, and the answers to a scenario's questions in order as
``answers`` (what "the first answer" and "the second answer" are).
"""

import json
import math
from dataclasses import dataclass

import pytest
from pytest_bdd import given, parsers, then, when
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression

from tests.steps.common_steps import answer_to, assert_refused

PREDICT = "/api/v1/predict"
BATCH = "/api/v1/batch-predict"
HISTORY = "/api/v1/predictions"
DEFAULT_MODEL = "diabetes-linear"

# Ways product owners describe measurements that are not a list of numbers.
BAD_MEASUREMENTS = {
    "a word among the numbers": [0.1, 0.2, "high", 0.0, 0.1, 0.2, 0.3, 0.0, 0.1, 0.2],
    "not a number (NaN)": [math.nan] + [0.1] * 9,
    "infinite": [math.inf] + [0.1] * 9,
    "yes/no values": [True, False] * 5,
    "a single word instead of a list": "ten",
    "lists inside the list": [[0.1] * 10],
}

_DIABETES = load_diabetes()
_REFERENCE = LinearRegression().fit(_DIABETES.data, _DIABETES.target)


def patient(number: int = 0, measurements: int = 10) -> list[float]:
    """Real rows of the diabetes data set, cut or padded to the wanted length."""
    row = [float(v) for v in _DIABETES.data[number]]
    return (row + [0.0] * measurements)[:measurements]


@dataclass
class Question:
    """A question the default model answered: the measurements, and the prediction's id."""

    features: list[float]
    prediction_id: int


@pytest.fixture
def asked() -> dict[str, list[Question]]:
    """Per person, the questions the default model answered them, oldest first."""
    return {}


@pytest.fixture
def answers() -> list:
    """The answers to the questions a scenario's When steps put to a model, in order."""
    return []


def _ask(conversation, asked, name, features):
    response = conversation.call("POST", PREDICT, as_person=name, json={"features": features})
    if response.status_code == 200:
        prediction_id = response.get_json()["prediction_id"]
        asked.setdefault(name, []).append(Question(features, prediction_id))
    return response


def latest_question(asked, name) -> Question:
    """The latest question ``name`` had answered."""
    assert asked.get(name), f"{name} has asked the default model nothing in this scenario"
    return asked[name][-1]


def _question(asked, name, prediction_id) -> Question:
    """What ``name`` asked to get that prediction."""
    [question] = [q for q in asked.get(name, []) if q.prediction_id == prediction_id]
    return question


@given(parsers.parse("{name} has asked the default model about a patient"))
def has_asked_one(conversation, asked, name):
    assert _ask(conversation, asked, name, patient()).status_code == 200


@given(parsers.parse("{name} has asked the default model about {count:d} different patients"))
def has_asked_many(conversation, asked, name, count):
    for number in range(count):
        assert _ask(conversation, asked, name, patient(number)).status_code == 200


@when(
    parsers.parse("{name} asks the default model about a patient with {count:d} measurements"),
    target_fixture="answer",
)
def ask_with_count(conversation, asked, answers, name, count):
    response = _ask(conversation, asked, name, patient(measurements=count))
    answers.append(response)
    return response


@when(
    parsers.parse("{name} asks the default model about the same patient again"),
    target_fixture="answer",
)
def ask_again(conversation, asked, answers, name):
    response = _ask(conversation, asked, name, latest_question(asked, name).features)
    answers.append(response)
    return response


@when(
    parsers.parse("{name} asks the default model about a patient whose measurements are {kind}"),
    target_fixture="answer",
)
def ask_badly(conversation, name, kind):
    # Encoded as a lax client would (NaN, Infinity): the test client's JSON is as strict
    # as the app's (mlapi/strict_json.py) and refuses to send them.
    return conversation.call(
        "POST",
        PREDICT,
        as_person=name,
        data=json.dumps({"features": BAD_MEASUREMENTS[kind]}),
        content_type="application/json",
    )


@when(
    parsers.parse("{name} asks the default model about a patient without giving any measurements"),
    target_fixture="answer",
)
def ask_without_measurements(conversation, name):
    return conversation.call("POST", PREDICT, as_person=name, json={})


@when(
    parsers.parse("{name} asks the default model about {count:d} patients at once"),
    target_fixture="answer",
)
def ask_batch(conversation, name, count):
    samples = [patient(number % 400) for number in range(count)]
    return conversation.call("POST", BATCH, as_person=name, json={"samples": samples})


@when(
    "someone who is not signed in asks the default model about a patient", target_fixture="answer"
)
def ask_anonymously(conversation):
    return conversation.call("POST", PREDICT, json={"features": patient()})


@when(parsers.re(r"(?P<name>\w+) looks at (?:her|his) prediction history"), target_fixture="answer")
def look_at_history(conversation, name):
    return conversation.call("GET", HISTORY, as_person=name)


@when(parsers.parse("{reader} tries to read {owner}'s prediction"), target_fixture="answer")
def read_others(conversation, asked, reader, owner):
    return conversation.call(
        "GET", f"{HISTORY}/{latest_question(asked, owner).prediction_id}", as_person=reader
    )


@when(
    parsers.parse("{name} tries to read a prediction that does not exist"), target_fixture="answer"
)
def read_missing(conversation, name):
    return conversation.call("GET", f"{HISTORY}/987654", as_person=name)


@then(parsers.parse("{name} gets a prediction from the default model"))
def gets_prediction(conversation, asked, answer, name):
    body = answer_to(conversation, answer, name).get_json()
    assert answer.status_code == 200, body
    assert body["model_name"] == DEFAULT_MODEL
    assert body["model_version"] == 1
    features = _question(asked, name, body["prediction_id"]).features
    assert body["prediction"] == pytest.approx(_REFERENCE.predict([features])[0])


@then("the prediction was freshly computed")
def fresh(answer):
    assert answer.get_json()["cached"] is False


@then(parsers.parse("the prediction appears in {name}'s history"))
def in_history(conversation, asked, answer, name):
    prediction_id = answer.get_json()["prediction_id"]
    record = conversation.call("GET", f"{HISTORY}/{prediction_id}", as_person=name)
    assert record.status_code == 200, record.get_json()
    assert record.get_json()["features"] == _question(asked, name, prediction_id).features


@then("the second answer equals the first")
def same_answer(answers):
    first, second = (response.get_json() for response in answers[:2])
    assert second["prediction"] == first["prediction"]
    assert second["prediction_id"] != first["prediction_id"]


@then("the second answer came from the cache")
def from_cache(answers):
    first, second = (response.get_json() for response in answers[:2])
    assert (first["cached"], second["cached"]) == (False, True)


@then(parsers.parse("both predictions appear in {name}'s history"))
def both_in_history(conversation, asked, name):
    page = conversation.call("GET", HISTORY, as_person=name).get_json()
    ids = [question.prediction_id for question in asked.get(name, [])]
    assert [item["id"] for item in page["items"]] == sorted(ids, reverse=True)
    assert [item["cached"] for item in page["items"]] == [True, False]


@then(parsers.parse("the request is refused, saying the model expects {count:d} measurements"))
def refused_count(answer, count):
    body = assert_refused(answer, 422, "validation_error")
    assert f"Expected {count} features" in body["errors"]["features"][0]


@then(parsers.parse("{name} gets {count:d} predictions, one per patient"))
def gets_batch(conversation, answer, name, count):
    body = answer_to(conversation, answer, name).get_json()
    assert answer.status_code == 200, body
    assert body["count"] == count == len(body["predictions"]) == len(set(body["prediction_ids"]))
    expected = _REFERENCE.predict([patient(n) for n in range(count)])
    assert body["predictions"] == pytest.approx(list(expected))


@then(parsers.parse("each of the {count:d} predictions appears in {name}'s history"))
def batch_in_history(conversation, answer, count, name):
    ids = answer.get_json()["prediction_ids"]
    page = conversation.call("GET", HISTORY, as_person=name).get_json()
    assert page["total"] == count
    assert sorted(item["id"] for item in page["items"]) == sorted(ids)


@then(parsers.parse("she sees {count:d} predictions, newest first"))
def sees_history(conversation, asked, answer, count):
    page = answer.get_json()
    assert answer.status_code == 200, page
    assert page["total"] == count
    she = conversation.asker(answer)
    newest_first = [question.prediction_id for question in reversed(asked.get(she, []))]
    assert [item["id"] for item in page["items"]] == newest_first


@then(parsers.parse("{name} is told the prediction is not his to see"))
def not_his(conversation, answer, name):
    assert_refused(answer_to(conversation, answer, name), 403, "forbidden")


@then(parsers.parse("{name} is told the prediction does not exist"))
def does_not_exist(conversation, answer, name):
    assert_refused(answer_to(conversation, answer, name), 404, "not_found")
