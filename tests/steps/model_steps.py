"""Steps of features/models.feature and features/ownership.feature: the model registry.

Everything goes through the API, as a team would use it; the scenario's models are kept
by name in ``registry_models`` (name -> the latest record the API returned), and the answer
a When step got is passed to the Then steps as ``answer``.
"""

import io

import pytest
from pytest_bdd import given, parsers, then, when

from tests.steps.common_steps import answer_to, assert_refused
from tests.support.model_files import model_file

MODELS = "/api/v1/models"
KINDS = {"sales forecasting model": "regressor", "flower classifier": "classifier"}
NAMES = {
    "nothing at all": "",
    "just a space": " ",
    '"sales forecast"': "sales forecast",
    '"forecast" and a line break': "forecast\n",
    '"!@#$"': "!@#$",
    "a name of 101 characters": "f" * 101,
}
FEATURES = [0.01] * 10  # one case for a sales forecasting model (10 measurements)


@pytest.fixture
def registry_models() -> dict[str, dict]:
    return {}


def upload(conversation, name, model, *, kind="regressor", model_type="sklearn"):
    form = {
        "name": model,
        "model_type": model_type,
        "file": (io.BytesIO(model_file(kind)), "model.skops"),
    }
    return conversation.call(
        "POST", MODELS, as_person=name, data=form, content_type="multipart/form-data"
    )


def uploaded(conversation, registry_models, name, model, **kwargs) -> dict:
    response = upload(conversation, name, model, **kwargs)
    assert response.status_code == 201, response.get_json()
    registry_models[model] = response.get_json()
    return registry_models[model]


def path_of(registry_models, model) -> str:
    return f"{MODELS}/{registry_models[model]['id']}"


def assert_owned(registry_models, owner, model) -> None:
    """The scenario's model of that name is the named person's or team's."""
    namespace = registry_models[model]["full_name"].split("/")[0]
    assert namespace == owner.lower(), registry_models[model]


@given(parsers.parse('{name} has uploaded a model "{model}"'))
def has_uploaded(conversation, registry_models, name, model):
    uploaded(conversation, registry_models, name, model)


@given(parsers.parse('{name} has had a prediction from "{model}"'))
def has_predicted(conversation, registry_models, name, model):
    response = conversation.call(
        "POST",
        path_of(registry_models, model) + "/predict",
        as_person=name,
        json={"features": FEATURES},
    )
    assert response.status_code == 200, response.get_json()


@given(
    parsers.re(
        r"(?P<owner>\w+)'s model \"(?P<model>[^\"]+)\" is "
        r"(?P<visibility>private|public)"
    )
)
def model_is(conversation, registry_models, owner, model, visibility):
    response = conversation.call(
        "PATCH", path_of(registry_models, model), as_person=owner, json={"visibility": visibility}
    )
    assert response.get_json()["visibility"] == visibility


@when(
    parsers.re(
        r"(?P<name>\w+) uploads a (?P<kind>sales forecasting model|flower classifier)"
        r" named (?P<model>.+)"
    ),
    target_fixture="answer",
)
def uploads_named(conversation, registry_models, name, kind, model):
    model = NAMES.get(model, model.strip('"'))
    response = upload(conversation, name, model, kind=KINDS[kind])
    if response.status_code == 201:
        registry_models[model] = response.get_json()
    return response


@when(
    parsers.parse('{name} uploads a sales forecasting model of type "{model_type}"'),
    target_fixture="answer",
)
def uploads_typed(conversation, name, model_type):
    return upload(conversation, name, "forecast", model_type=model_type)


@when(
    parsers.parse("{name} uploads a sales forecasting model saved with pickle"),
    target_fixture="answer",
)
def uploads_pickle(conversation, name):
    return upload(conversation, name, "forecast", kind="pickle")


@when(
    parsers.parse("{name} uploads a model that would run system commands when loaded"),
    target_fixture="answer",
)
def uploads_untrusted(conversation, name):
    return upload(conversation, name, "innocent", kind="untrusted")


@when(parsers.parse("{name} uploads a file that is not a model"), target_fixture="answer")
def uploads_not_a_model(conversation, name):
    return upload(conversation, name, "weights", kind="not_a_model")


@when(parsers.parse('{name} deletes "{model}"'), target_fixture="answer")
def deletes(conversation, registry_models, name, model):
    response = conversation.call("DELETE", path_of(registry_models, model), as_person=name)
    assert response.status_code == 204, response.get_json()
    return response


@when(parsers.parse("{name} tries to delete the default model"), target_fixture="answer")
def deletes_default(conversation, name):
    listed = conversation.call("GET", f"{MODELS}?name=diabetes-linear", as_person=name)
    [default] = listed.get_json()["items"]
    return conversation.call("DELETE", f"{MODELS}/{default['id']}", as_person=name)


@then(parsers.parse('{name}\'s model "{model}" is in the registry as version {version:d}'))
def in_registry(conversation, answer, name, model, version):
    body = answer.get_json()
    assert answer.status_code == 201, body
    assert (body["name"], body["version"], body["owner"]["username"]) == (
        model,
        version,
        name.lower(),
    )
    found = conversation.call("GET", answer.headers["Location"], as_person=name)
    assert found.get_json()["id"] == body["id"]


@then(parsers.parse('only {name} can see "{model}" until she shares it'))
def only_owner_sees(conversation, registry_models, name, model):
    """Everyone else the scenario names is refused it."""
    assert_owned(registry_models, name, model)
    assert registry_models[model]["visibility"] == "private"
    assert (
        conversation.call("GET", path_of(registry_models, model), as_person=name).status_code == 200
    )
    others = [person for person in conversation.people if person != name]
    assert others, "the scenario names nobody else to check with"
    for other in others:
        seen = conversation.call("GET", path_of(registry_models, model), as_person=other)
        assert_refused(seen, 403, "forbidden")


@then(
    parsers.parse(
        '{name}\'s list of models shows versions {newer:d} and {older:d} of "{model}", newest first'
    )
)
def listed_versions(conversation, name, newer, older, model):
    listed = conversation.call("GET", f"{MODELS}?name={model}&owner=me", as_person=name)
    assert [item["version"] for item in listed.get_json()["items"]] == [newer, older]


@then(parsers.parse('{name}\'s model "{model}" is recorded as a classifier of {count:d} classes'))
def recorded_classifier(answer, name, model, count):
    body = answer.get_json()
    assert (body["name"], body["task"]) == (model, "classification"), body
    assert body["owner"]["username"] == name.lower()
    assert len(body["classes"]) == count


@then(parsers.parse('the request is refused, saying "{model_type}" is the type accepted'))
def refused_type(answer, model_type):
    body = assert_refused(answer, 422, "validation_error")
    assert model_type in body["errors"]["model_type"][0]


@then(parsers.parse("the upload is refused as unsafe, advising {name} to export it with skops"))
def refused_pickle(conversation, answer, name):
    body = assert_refused(answer_to(conversation, answer, name), 422, "pickle_refused")
    assert "skops" in body["detail"]


@then(parsers.parse("{name} has no model in the registry"))
def has_no_model(conversation, name):
    listed = conversation.call("GET", f"{MODELS}?owner=me", as_person=name)
    assert listed.get_json()["total"] == 0


@then("the upload is refused, naming the untrusted code it refers to")
def refused_untrusted(answer):
    body = assert_refused(answer, 422, "untrusted_model")
    assert "system" in body["detail"]


@then("the upload is refused as not a usable model")
def refused_unusable(answer):
    assert_refused(answer, 422, "model_load_error")


@then(parsers.parse('{name} can no longer find "{model}"'))
def gone(conversation, registry_models, name, model):
    response = conversation.call("GET", path_of(registry_models, model), as_person=name)
    assert_refused(response, 404, "not_found")


@then(parsers.parse('{name}\'s prediction from "{model}" is still in her history'))
def still_in_history(conversation, registry_models, name, model):
    history = conversation.call("GET", "/api/v1/predictions", as_person=name).get_json()
    kept = [(item["model_name"], item["model_version"]) for item in history["items"]]
    assert kept == [(model, registry_models[model]["version"])]


@then(parsers.parse('{name}\'s next upload of "{model}" becomes version {version:d}'))
def next_version(conversation, registry_models, name, model, version):
    assert uploaded(conversation, registry_models, name, model)["version"] == version


@then("the default model is kept, since every team relies on it")
def default_kept(conversation, answer):
    assert_refused(answer, 409, "conflict")
    listed = conversation.call(
        "GET", f"{MODELS}?name=diabetes-linear", as_person=conversation.asker(answer)
    )
    assert listed.get_json()["total"] == 1


# --- the permission matrix (features/ownership.feature) ---

ACTIONS = {  # action -> (method, path suffix, body)
    "view": ("GET", "", None),
    "update": ("PATCH", "", {"description": "Changed by someone."}),
    "delete": ("DELETE", "", None),
    "predict": ("POST", "/predict", {"features": FEATURES}),
}
OUTCOMES = {  # outcome -> (status, code); success statuses by action
    "forbidden": (403, "forbidden"),
    "turned away until signed in": (401, "unauthorized"),
}
SUCCESS = {"GET": 200, "PATCH": 200, "DELETE": 204, "POST": 200}  # by the attempt's method


@when(
    parsers.re(
        r"(?P<actor>\w+|someone not signed in) tries to "
        r"(?P<action>view|update|delete|predict) (?P<owner>\w+)'s model "
        r"\"(?P<model>[^\"]+)\""
    ),
    target_fixture="answer",
)
def tries_to(conversation, registry_models, actor, action, owner, model):
    assert_owned(registry_models, owner, model)
    method, suffix, body = ACTIONS[action]
    person = None if actor == "someone not signed in" else actor
    return conversation.call(
        method, path_of(registry_models, model) + suffix, as_person=person, json=body
    )


@then(parsers.parse("the attempt is {outcome}"))
def attempt_is(answer, outcome):
    if outcome == "allowed":
        assert answer.status_code == SUCCESS[answer.request.method], answer.get_json()
        return
    status, code = OUTCOMES[outcome]
    assert_refused(answer, status, code)
