"""Steps of features/model_predictions.feature: asking a team's own model."""

import pytest
from pytest_bdd import given, parsers, then, when
from sklearn.datasets import load_iris

from mlapi.extensions import db
from mlapi.registry.models import MLModel
from mlapi.timeutil import utcnow
from tests.model_records import IRIS_FEATURES, add_model
from tests.steps.common_steps import assert_refused

_IRIS = load_iris()
KINDS = {"flower classifier": "classifier", "churn classifier": "classifier",
         "sales forecasting model": "regressor"}


def flower(number: int = 0) -> list[float]:
    return [float(v) for v in _IRIS.data[number]]


def named(row: list[float]) -> dict[str, float]:
    return dict(zip(IRIS_FEATURES, row, strict=True))


@pytest.fixture
def team_models() -> dict[str, int]:
    """The scenario's models by name -> id."""
    return {}


def model_path(team_models, model: str, action: str = "predict") -> str:
    return f"/api/v1/models/{team_models[model]}/{action}"


@given(parsers.re(r'(?P<name>\w+) keeps a (?P<visibility>private |public |)'
                  r'(?P<kind>flower classifier|churn classifier|sales forecasting model) '
                  r'"(?P<model>[\w.-]+)"(?P<with_names> that knows its measurement names)?'))
def keeps_model(app, conversation, team_models, name, visibility, kind, model, with_names):
    owner = conversation.person(name)
    conversation.session(name)
    team_models[model] = add_model(
        app, owner.id, model, kind=KINDS[kind], visibility=visibility.strip() or "private",
        feature_names=IRIS_FEATURES if with_names else None)


@given(parsers.parse('{name} has deleted "{model}"'))
def has_deleted(app, team_models, name, model):
    with app.app_context():
        db.session.get(MLModel, team_models[model]).deleted_at = utcnow()
        db.session.commit()


@when(parsers.parse('{name} asks "{model}" about a flower'))
def ask_flower(conversation, team_models, name, model):
    conversation.call("POST", model_path(team_models, model), as_person=name,
                      json={"features": flower()})


@when(parsers.parse('{name} asks "{model}" about a flower, naming its measurements in '
                    'reverse order'))
def ask_by_name(conversation, team_models, name, model):
    reverse = dict(reversed(named(flower()).items()))
    conversation.call("POST", model_path(team_models, model), as_person=name,
                      json={"features": reverse})


@when(parsers.re(r'(?P<name>\w+) asks "(?P<model>[\w.-]+)" about a flower with '
                 r'(?:an extra measurement "(?P<extra>\w+)"|the measurement "(?P<left_out>\w+)" '
                 r'left out)'))
def ask_with_wrong_names(conversation, team_models, name, model, extra, left_out):
    features = named(flower())
    if extra:
        features[extra] = 1.0
    features.pop(left_out or "", None)
    conversation.call("POST", model_path(team_models, model), as_person=name,
                      json={"features": features})


@when(parsers.parse('{name} asks "{model}" about {count:d} flowers at once, naming the '
                    'measurements of the second'))
def ask_batch(conversation, team_models, name, model, count):
    samples = [flower(50 * n) for n in range(count)]
    samples[1] = named(samples[1])
    conversation.call("POST", model_path(team_models, model, "batch-predict"), as_person=name,
                      json={"samples": samples})


@then(parsers.parse("{name} is told the flower is of class {label:d}"))
def told_class(conversation, name, label):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert body["prediction"] == label


@then(parsers.parse("{name}'s history keeps the measurements in the model's order"))
def history_in_order(conversation, name):
    prediction_id = conversation.last.get_json()["prediction_id"]
    record = conversation.call("GET", f"/api/v1/predictions/{prediction_id}", as_person=name)
    assert record.get_json()["features"] == flower()


@then(parsers.parse("the answer gives a probability for each of the {count:d} classes, "
                    "adding up to {total:d}"))
def probabilities(conversation, count, total):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert len(body["probabilities"]) == count
    assert sum(body["probabilities"].values()) == pytest.approx(total)
    assert max(body["probabilities"], key=body["probabilities"].get) == str(body["prediction"])


@then(parsers.parse('the request is refused, naming the measurement "{feature}"'))
def refused_naming(conversation, feature):
    body = assert_refused(conversation.last, 422, "validation_error")
    assert any(feature in message for message in body["errors"]["features"]), body


@then(parsers.parse('{name} gets {count:d} predictions from "{model}", one per flower'))
def gets_batch(conversation, team_models, name, count, model):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert (body["count"], body["model_id"]) == (count, team_models[model])
    assert body["predictions"] == [0, 1, 2][:count]  # one flower of each species


@then(parsers.parse("{name}'s question is refused as not his to use"))
def refused_not_his(conversation, name):
    assert_refused(conversation.last, 403, "forbidden")


@then(parsers.parse("{name}'s question is answered"))
def answered(conversation, name):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert body["prediction"] in (0, 1, 2)


@then(parsers.parse("{name} is told the model does not exist"))
def model_missing(conversation, name):
    assert_refused(conversation.last, 404, "not_found")
