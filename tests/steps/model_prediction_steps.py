"""Steps of features/model_predictions.feature: asking a team's own model.

The scenario's models are kept by name in ``team_models``, with their owner and kind; the
answer a When step got is passed to the Then steps as ``answer``.
"""

from dataclasses import dataclass

import pytest
from pytest_bdd import given, parsers, then, when
from sklearn.datasets import load_iris

from tests.model_records import IRIS_FEATURES, add_model
from tests.steps.common_steps import answer_to, assert_refused

_IRIS = load_iris()
KINDS = {
    "flower classifier": "classifier",
    "churn classifier": "classifier",
    "sales forecasting model": "regressor",
}


def flower(number: int = 0) -> list[float]:
    return [float(v) for v in _IRIS.data[number]]


def named(row: list[float]) -> dict[str, float]:
    return dict(zip(IRIS_FEATURES, row, strict=True))


@dataclass
class TeamModel:
    id: int
    owner: str  # the person of the scenario who keeps it
    kind: str  # "classifier" or "regressor"


@pytest.fixture
def team_models() -> dict[str, TeamModel]:
    """The scenario's models by name."""
    return {}


def model_path(team_models, model: str, action: str | None = "predict") -> str:
    path = f"/api/v1/models/{team_models[model].id}"
    return f"{path}/{action}" if action else path


def _asked(answers, response):
    """Keep the answer to a question in the order asked, and hand it on."""
    answers.append(response)
    return response


@given(
    parsers.re(
        r"(?P<name>\w+) keeps a (?P<visibility>private |public |)"
        r"(?P<kind>flower classifier|churn classifier|sales forecasting model) "
        r'"(?P<model>[\w.-]+)"(?P<with_names> that knows its measurement names)?'
    )
)
def keeps_model(app, conversation, team_models, name, visibility, kind, model, with_names):
    owner = conversation.person(name)
    conversation.session(name)
    model_id = add_model(
        app,
        owner.id,
        model,
        kind=KINDS[kind],
        visibility=visibility.strip() or "private",
        feature_names=IRIS_FEATURES if with_names else None,
    )
    team_models[model] = TeamModel(model_id, name, KINDS[kind])


@given(parsers.parse('{name} has deleted "{model}"'))
def has_deleted(conversation, team_models, name, model):
    response = conversation.call("DELETE", model_path(team_models, model, None), as_person=name)
    assert response.status_code == 204, response.get_json()


@when(parsers.parse('{name} asks "{model}" about a flower'), target_fixture="answer")
def ask_flower(conversation, team_models, answers, name, model):
    return _asked(
        answers,
        conversation.call(
            "POST", model_path(team_models, model), as_person=name, json={"features": flower()}
        ),
    )


@when(
    parsers.parse('{name} asks "{model}" about a flower, naming its measurements in reverse order'),
    target_fixture="answer",
)
def ask_by_name(conversation, team_models, answers, name, model):
    reverse = dict(reversed(named(flower()).items()))
    return _asked(
        answers,
        conversation.call(
            "POST", model_path(team_models, model), as_person=name, json={"features": reverse}
        ),
    )


@when(
    parsers.re(
        r'(?P<name>\w+) asks "(?P<model>[\w.-]+)" about a flower with '
        r'(?:an extra measurement "(?P<extra>\w+)"|the measurement "(?P<left_out>\w+)" '
        r"left out)"
    ),
    target_fixture="answer",
)
def ask_with_wrong_names(conversation, team_models, name, model, extra, left_out):
    features = named(flower())
    if extra:
        features[extra] = 1.0
    features.pop(left_out or "", None)
    return conversation.call(
        "POST", model_path(team_models, model), as_person=name, json={"features": features}
    )


@when(
    parsers.parse(
        '{name} asks "{model}" about {count:d} flowers at once, naming the '
        "measurements of the second"
    ),
    target_fixture="answer",
)
def ask_batch(conversation, team_models, name, model, count):
    samples = [flower(50 * n) for n in range(count)]
    samples[1] = named(samples[1])
    return conversation.call(
        "POST",
        model_path(team_models, model, "batch-predict"),
        as_person=name,
        json={"samples": samples},
    )


@then(parsers.parse("{name} is told the flower is of class {label:d}"))
def told_class(conversation, answer, name, label):
    body = answer_to(conversation, answer, name).get_json()
    assert answer.status_code == 200, body
    assert body["prediction"] == label


@then(parsers.parse("{name}'s history keeps the measurements in the model's order"))
def history_in_order(conversation, answer, name):
    prediction_id = answer.get_json()["prediction_id"]
    record = conversation.call("GET", f"/api/v1/predictions/{prediction_id}", as_person=name)
    assert record.get_json()["features"] == flower()


@then(
    parsers.parse(
        "the answer gives a probability for each of the {count:d} classes, adding up to {total:d}"
    )
)
def probabilities(answer, count, total):
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert len(body["probabilities"]) == count
    assert sum(body["probabilities"].values()) == pytest.approx(total)
    assert max(body["probabilities"], key=body["probabilities"].get) == str(body["prediction"])


@then(parsers.parse('the request is refused, naming the measurement "{feature}"'))
def refused_naming(answer, feature):
    body = assert_refused(answer, 422, "validation_error")
    assert any(feature in message for message in body["errors"]["features"]), body


@then(parsers.parse('{name} gets {count:d} predictions from "{model}", one per flower'))
def gets_batch(conversation, team_models, answer, name, count, model):
    body = answer_to(conversation, answer, name).get_json()
    assert answer.status_code == 200, body
    assert (body["count"], body["model_id"]) == (count, team_models[model].id)
    assert body["predictions"] == [0, 1, 2][:count]  # one flower of each species


@then(parsers.parse("{name}'s question is refused as not his to use"))
def refused_not_his(conversation, answer, name):
    assert_refused(answer_to(conversation, answer, name), 403, "forbidden")


@then(parsers.parse("{name}'s question is answered"))
def answered(conversation, answer, name):
    body = answer_to(conversation, answer, name).get_json()
    assert answer.status_code == 200, body
    assert body["prediction"] in (0, 1, 2)


@then(parsers.parse("{name} is told the model does not exist"))
def model_missing(conversation, answer, name):
    assert_refused(answer_to(conversation, answer, name), 404, "not_found")
