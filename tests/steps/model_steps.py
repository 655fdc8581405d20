"""Steps of features/models.feature and features/ownership.feature: the model registry.

Everything goes through the API, as a team would use it; the scenario's models are kept
by name in ``registry_models`` (name -> the latest record the API returned).
"""

import io

import pytest
from pytest_bdd import given, parsers, then, when

from tests.fixtures import model_file
from tests.steps.common_steps import assert_refused

MODELS = "/api/v1/models"
KINDS = {"sales forecasting model": "regressor", "flower classifier": "classifier"}
NAMES = {"nothing at all": "", "just a space": " ", '"sales forecast"': "sales forecast",
         '"forecast" and a line break': "forecast\n", '"!@#$"': "!@#$",
         "a name of 101 characters": "f" * 101}
FEATURES = [0.01] * 10  # one case for a sales forecasting model (10 measurements)


@pytest.fixture
def registry_models() -> dict[str, dict]:
    return {}


@pytest.fixture
def admin_name(conversation) -> str:
    conversation.people["Root"] = conversation.make_user("root", role="admin")
    return "Root"


def upload(conversation, name, model, *, kind="regressor", model_type="sklearn"):
    form = {"name": model, "model_type": model_type,
            "file": (io.BytesIO(model_file(kind)), "model.skops")}
    return conversation.call("POST", MODELS, as_person=name, data=form,
                             content_type="multipart/form-data")


def uploaded(conversation, registry_models, name, model, **kwargs) -> dict:
    response = upload(conversation, name, model, **kwargs)
    assert response.status_code == 201, response.get_json()
    registry_models[model] = response.get_json()
    return registry_models[model]


def path_of(registry_models, model) -> str:
    return f"{MODELS}/{registry_models[model]['id']}"


@given(parsers.parse('{name} has uploaded a model "{model}"'))
def has_uploaded(conversation, registry_models, name, model):
    uploaded(conversation, registry_models, name, model)


@given(parsers.parse('{name} has had a prediction from "{model}"'))
def has_predicted(conversation, registry_models, name, model):
    response = conversation.call("POST", path_of(registry_models, model) + "/predict",
                                 as_person=name, json={"features": FEATURES})
    assert response.status_code == 200, response.get_json()


@given(parsers.re(r"(?P<owner>\w+)'s model \"(?P<model>[^\"]+)\" is "
                  r"(?P<visibility>private|public)"))
def model_is(conversation, registry_models, owner, model, visibility):
    response = conversation.call("PATCH", path_of(registry_models, model), as_person=owner,
                                 json={"visibility": visibility})
    assert response.get_json()["visibility"] == visibility


@when(parsers.re(r'(?P<name>\w+) uploads a (?P<kind>sales forecasting model|flower classifier)'
                 r' named (?P<model>.+)'))
def uploads_named(conversation, registry_models, name, kind, model):
    model = NAMES.get(model, model.strip('"'))
    response = upload(conversation, name, model, kind=KINDS[kind])
    if response.status_code == 201:
        registry_models[model] = response.get_json()


@when(parsers.parse('{name} uploads a sales forecasting model of type "{model_type}"'))
def uploads_typed(conversation, name, model_type):
    upload(conversation, name, "forecast", model_type=model_type)


@when(parsers.parse("{name} uploads a sales forecasting model saved with pickle"))
def uploads_pickle(conversation, name):
    upload(conversation, name, "forecast", kind="pickle")


@when(parsers.parse("{name} uploads a model that would run system commands when loaded"))
def uploads_untrusted(conversation, name):
    upload(conversation, name, "innocent", kind="untrusted")


@when(parsers.parse("{name} uploads a file that is not a model"))
def uploads_not_a_model(conversation, name):
    upload(conversation, name, "weights", kind="not_a_model")


@when(parsers.parse('{name} deletes "{model}"'))
def deletes(conversation, registry_models, name, model):
    response = conversation.call("DELETE", path_of(registry_models, model), as_person=name)
    assert response.status_code == 204, response.get_json()


@when("an administrator tries to delete the default model")
def admin_deletes_default(conversation, admin_name):
    listed = conversation.call("GET", f"{MODELS}?name=diabetes-linear", as_person=admin_name)
    [default] = listed.get_json()["items"]
    conversation.call("DELETE", f"{MODELS}/{default['id']}", as_person=admin_name)


@then(parsers.parse('{name}\'s model "{model}" is in the registry as version {version:d}'))
def in_registry(conversation, name, model, version):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 201, body
    assert (body["name"], body["version"], body["owner"]["username"]) == \
        (model, version, name.lower())
    found = conversation.call("GET", conversation.last.headers["Location"], as_person=name)
    assert found.get_json()["id"] == body["id"]


@then(parsers.parse('only {name} can see "{model}" until she shares it'))
def only_owner_sees(conversation, registry_models, name, model):
    record = registry_models[model]
    assert record["visibility"] == "private"
    assert conversation.call("GET", path_of(registry_models, model),
                             as_person=name).status_code == 200
    seen = conversation.call("GET", f"{MODELS}/{record['id']}", as_person="Bob")
    assert_refused(seen, 403, "forbidden")


@then(parsers.parse("{name}'s list of models shows versions {newer:d} and {older:d} of "
                    '"{model}", newest first'))
def listed_versions(conversation, name, newer, older, model):
    listed = conversation.call("GET", f"{MODELS}?name={model}&owner=me", as_person=name)
    assert [item["version"] for item in listed.get_json()["items"]] == [newer, older]


@then(parsers.parse('{name}\'s model "{model}" is recorded as a classifier of {count:d} '
                    "classes"))
def recorded_classifier(conversation, name, model, count):
    body = conversation.last.get_json()
    assert (body["name"], body["task"]) == (model, "classification"), body
    assert len(body["classes"]) == count


@then(parsers.parse('the request is refused, saying "{model_type}" is the type accepted'))
def refused_type(conversation, model_type):
    body = assert_refused(conversation.last, 422, "validation_error")
    assert model_type in body["errors"]["model_type"][0]


@then(parsers.parse("the upload is refused as unsafe, advising {name} to export it with "
                    "skops"))
def refused_pickle(conversation, name):
    body = assert_refused(conversation.last, 422, "pickle_refused")
    assert "skops" in body["detail"]


@then(parsers.parse("{name} has no model in the registry"))
def has_no_model(conversation, name):
    listed = conversation.call("GET", f"{MODELS}?owner=me", as_person=name)
    assert listed.get_json()["total"] == 0


@then("the upload is refused, naming the untrusted code it refers to")
def refused_untrusted(conversation):
    body = assert_refused(conversation.last, 422, "untrusted_model")
    assert "system" in body["detail"]


@then("the upload is refused as not a usable model")
def refused_unusable(conversation):
    assert_refused(conversation.last, 422, "model_load_error")


@then(parsers.parse('"{model}" can no longer be found'))
def gone(conversation, registry_models, model):
    owner = registry_models[model]["owner"]["username"].capitalize()
    response = conversation.call("GET", path_of(registry_models, model), as_person=owner)
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
def default_kept(conversation, admin_name):
    assert_refused(conversation.last, 409, "conflict")
    listed = conversation.call("GET", f"{MODELS}?name=diabetes-linear", as_person=admin_name)
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
SUCCESS = {"view": 200, "update": 200, "delete": 204, "predict": 200}


@pytest.fixture
def attempt() -> dict:
    return {}


@when(parsers.re(r"(?P<actor>its owner|another user|an administrator|someone not signed in) "
                 r"tries to (?P<action>view|update|delete|predict) (?P<owner>\w+)'s model "
                 r"\"(?P<model>[^\"]+)\""))
def tries_to(conversation, registry_models, attempt, admin_name, actor, action, owner, model):
    person = {"its owner": owner, "another user": "Bob", "an administrator": admin_name,
              "someone not signed in": None}[actor]
    method, suffix, body = ACTIONS[action]
    attempt["action"] = action
    conversation.call(method, path_of(registry_models, model) + suffix, as_person=person,
                      json=body)


@then(parsers.parse("the attempt is {outcome}"))
def attempt_is(conversation, attempt, outcome):
    if outcome == "allowed":
        response = conversation.last
        assert response.status_code == SUCCESS[attempt["action"]], response.get_json()
        return
    status, code = OUTCOMES[outcome]
    assert_refused(conversation.last, status, code)
