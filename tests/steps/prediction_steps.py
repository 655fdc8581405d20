"""Steps of features/prediction.feature: asking the default model, and the history."""

import json
import math

import pytest
from pytest_bdd import given, parsers, then, when
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression

from tests.steps.common_steps import assert_refused

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


@pytest.fixture
def asked() -> dict[str, list]:
    """Per person, the features they asked about and the prediction ids they got."""
    return {"features": [], "ids": []}


def _ask(conversation, asked, name, features):
    response = conversation.call("POST", PREDICT, as_person=name, json={"features": features})
    if response.status_code == 200:
        asked["features"].append(features)
        asked["ids"].append(response.get_json()["prediction_id"])
    return response


@given(parsers.parse("{name} has asked the default model about a patient"))
def has_asked_one(conversation, asked, name):
    assert _ask(conversation, asked, name, patient()).status_code == 200


@given(parsers.parse("{name} has asked the default model about {count:d} different patients"))
def has_asked_many(conversation, asked, name, count):
    for number in range(count):
        assert _ask(conversation, asked, name, patient(number)).status_code == 200


@when(parsers.parse("{name} asks the default model about a patient with {count:d} "
                    "measurements"))
def ask_with_count(conversation, asked, name, count):
    _ask(conversation, asked, name, patient(measurements=count))


@when(parsers.parse("{name} asks the default model about the same patient again"))
def ask_again(conversation, asked, name):
    _ask(conversation, asked, name, asked["features"][-1])


@when(parsers.parse("{name} asks the default model about a patient whose measurements are "
                    "{kind}"))
def ask_badly(conversation, name, kind):
    body = {} if kind == "missing" else {"features": BAD_MEASUREMENTS[kind]}
    # Encoded as a lax client would (NaN, Infinity): the test client's JSON is as strict
    # as the app's (mlapi/strict_json.py) and refuses to send them.
    conversation.call("POST", PREDICT, as_person=name, data=json.dumps(body),
                      content_type="application/json")


@when(parsers.parse("{name} asks the default model about {count:d} patients at once"))
def ask_batch(conversation, name, count):
    samples = [patient(number % 400) for number in range(count)]
    conversation.call("POST", BATCH, as_person=name, json={"samples": samples})


@when("someone who is not signed in asks the default model about a patient")
def ask_anonymously(conversation):
    conversation.call("POST", PREDICT, json={"features": patient()})


@when(parsers.re(r"(?P<name>\w+) looks at (?:her|his) prediction history"))
def look_at_history(conversation, name):
    conversation.call("GET", HISTORY, as_person=name)


@when(parsers.parse("{reader} tries to read {owner}'s prediction"))
def read_others(conversation, asked, reader, owner):
    conversation.call("GET", f"{HISTORY}/{asked['ids'][-1]}", as_person=reader)


@when(parsers.parse("{name} tries to read a prediction that does not exist"))
def read_missing(conversation, name):
    conversation.call("GET", f"{HISTORY}/987654", as_person=name)


@then(parsers.parse("{name} gets a prediction from the default model"))
def gets_prediction(conversation, asked, name):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert body["model_name"] == DEFAULT_MODEL
    assert body["model_version"] == 1
    expected = _REFERENCE.predict([asked["features"][-1]])[0]
    assert body["prediction"] == pytest.approx(expected)


@then("the prediction was freshly computed")
def fresh(conversation):
    assert conversation.last.get_json()["cached"] is False


@then(parsers.parse("the prediction appears in {name}'s history"))
def in_history(conversation, asked, name):
    record = conversation.call("GET", f"{HISTORY}/{asked['ids'][-1]}", as_person=name)
    assert record.status_code == 200, record.get_json()
    assert record.get_json()["features"] == asked["features"][-1]


@then("the second answer equals the first")
def same_answer(conversation):
    first, second = (r.get_json() for r in conversation.responses[-2:])
    assert second["prediction"] == first["prediction"]
    assert second["prediction_id"] != first["prediction_id"]


@then("the second answer came from the cache")
def from_cache(conversation):
    first, second = (r.get_json() for r in conversation.responses[-2:])
    assert (first["cached"], second["cached"]) == (False, True)


@then(parsers.parse("both predictions appear in {name}'s history"))
def both_in_history(conversation, asked, name):
    page = conversation.call("GET", HISTORY, as_person=name).get_json()
    assert [item["id"] for item in page["items"]] == sorted(asked["ids"], reverse=True)
    assert [item["cached"] for item in page["items"]] == [True, False]


@then(parsers.parse("the request is refused, saying the model expects {count:d} measurements"))
def refused_count(conversation, count):
    body = assert_refused(conversation.last, 422, "validation_error")
    assert f"Expected {count} features" in body["errors"]["features"][0]


@then(parsers.parse("{name} gets {count:d} predictions, one per patient"))
def gets_batch(conversation, name, count):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert body["count"] == count == len(body["predictions"]) == len(set(body["prediction_ids"]))
    expected = _REFERENCE.predict([patient(n) for n in range(count)])
    assert body["predictions"] == pytest.approx(list(expected))


@then(parsers.parse("each of the {count:d} predictions appears in {name}'s history"))
def batch_in_history(conversation, count, name):
    ids = conversation.last.get_json()["prediction_ids"]
    page = conversation.call("GET", HISTORY, as_person=name).get_json()
    assert page["total"] == count
    assert sorted(item["id"] for item in page["items"]) == sorted(ids)


@then(parsers.parse("she sees {count:d} predictions, newest first"))
def sees_history(conversation, asked, count):
    page = conversation.last.get_json()
    assert conversation.last.status_code == 200, page
    assert page["total"] == count
    assert [item["id"] for item in page["items"]] == list(reversed(asked["ids"]))


@then(parsers.parse("{name} is told the prediction is not his to see"))
def not_his(conversation, name):
    assert_refused(conversation.last, 403, "forbidden")


@then(parsers.parse("{name} is told the prediction does not exist"))
def does_not_exist(conversation, name):
    assert_refused(conversation.last, 404, "not_found")
