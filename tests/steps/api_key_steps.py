"""Steps of features/api_keys.feature: keys for scripts, what they may and may not do."""

from datetime import datetime, timedelta

import pytest
from pytest_bdd import given, parsers, then, when

from mlapi.auth.models import ApiKey
from mlapi.extensions import db
from mlapi.timeutil import utcnow
from tests.steps.common_steps import assert_refused
from tests.steps.prediction_steps import HISTORY, PREDICT, patient

KEYS = "/api/v1/auth/api-keys"


@pytest.fixture
def api_keys() -> dict[str, dict]:
    """Keys created in the scenario, by name: the creation answer (with the secret)."""
    return {}


def _with_key(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


def _create(conversation, api_keys, owner: str, name: str, days: int | None = None) -> dict:
    body = {"name": name} if days is None else {"name": name, "expires_in_days": days}
    response = conversation.call("POST", KEYS, as_person=owner, json=body)
    assert response.status_code == 201, response.get_json()
    api_keys[name] = response.get_json()
    return api_keys[name]


def _first_key(api_keys) -> dict:
    return next(iter(api_keys.values()))


@given(parsers.parse('{owner} has created an API key "{name}" for her script'))
def created_for_script(conversation, api_keys, owner, name):
    _create(conversation, api_keys, owner, name)


@given(parsers.parse('{owner} has created an API key "{name}" that lasts {days:d} days'))
def created_expiring(conversation, api_keys, owner, name, days):
    _create(conversation, api_keys, owner, name, days)


@given(parsers.parse('{days:d} days have passed for the key "{name}"'))
def days_passed(app, api_keys, days, name):
    with app.app_context():
        key = db.session.get(ApiKey, api_keys[name]["id"])
        key.expires_at = key.expires_at - timedelta(days=days)
        key.created_at = key.created_at - timedelta(days=days)
        db.session.commit()


@when(parsers.re(r"the script asks the default model about a patient with "
                 r"(?:\w+'s key|the key \"(?P<name>[^\"]+)\")"))
def script_predicts(conversation, api_keys, name):
    key = api_keys[name] if name else _first_key(api_keys)
    conversation.call("POST", PREDICT, headers=_with_key(key["key"]),
                      json={"features": patient()})


@given(parsers.parse("{owner} holds as many API keys as one person may"))
def holds_the_most_keys(app, conversation, api_keys, owner):
    held = conversation.call("GET", KEYS, as_person=owner).get_json()["total"]
    for number in range(held, app.config["MAX_API_KEYS"]):
        _create(conversation, api_keys, owner, f"job-{number}")


@when(parsers.parse('{owner} asks for one more API key "{name}"'))
def asks_for_one_more_key(conversation, owner, name):
    conversation.call("POST", KEYS, as_person=owner, json={"name": name})


@when(parsers.parse("{owner} lists her API keys"))
def list_keys(conversation, owner):
    conversation.call("GET", KEYS, as_person=owner)


@when(parsers.parse('{owner} deletes the key "{name}"'))
def delete_own_key(conversation, api_keys, owner, name):
    response = conversation.call("DELETE", f"{KEYS}/{api_keys[name]['id']}", as_person=owner)
    assert response.status_code == 204, response.get_json()


@when(parsers.re(r"(?P<someone>\w+) (?:tries to delete|revokes) \w+'s key \"(?P<name>[^\"]+)\""))
def delete_someone_elses_key(conversation, api_keys, someone, name):
    conversation.call("DELETE", f"{KEYS}/{api_keys[name]['id']}", as_person=someone)


@when(parsers.parse('the script asks {owner}\'s model "{model}" for a prediction '
                    "with {holder}'s key"))
def script_uses_model(conversation, api_keys, models, owner, model, holder):
    conversation.call("POST", f"/api/v1/models/{models[model]}/predict",
                      headers=_with_key(_first_key(api_keys)["key"]),
                      json={"features": patient()})


ACCOUNT_ACTIONS = {
    "create another API key": lambda key_id: ("POST", KEYS, {"name": "another"}),
    "list Alice's API keys": lambda key_id: ("GET", KEYS, None),
    "delete the key": lambda key_id: ("DELETE", f"{KEYS}/{key_id}", None),
    "sign Alice out": lambda key_id: ("POST", "/api/v1/auth/logout", None),
    "renew Alice's session": lambda key_id: ("POST", "/api/v1/auth/refresh", None),
}


@when(parsers.parse("the script tries to {action} with {owner}'s key"))
def script_manages(conversation, api_keys, action, owner):
    key = _first_key(api_keys)
    method, path, body = ACCOUNT_ACTIONS[action](key["id"])
    conversation.call(method, path, headers=_with_key(key["key"]), json=body)


@when(parsers.parse("the script sends {owner}'s key together with {holder}'s token"))
def script_sends_both(conversation, api_keys, owner, holder):
    headers = {**_with_key(_first_key(api_keys)["key"]),
               **conversation.session(holder).headers}
    conversation.call("GET", "/api/v1/users/me", headers=headers)


@then("the script gets a prediction")
def script_gets_prediction(conversation):
    body = conversation.last.get_json()
    assert conversation.last.status_code == 200, body
    assert isinstance(body["prediction"], float)


@then(parsers.parse("the script's prediction appears in {owner}'s history"))
def in_owners_history(conversation, owner):
    prediction_id = conversation.last.get_json()["prediction_id"]
    record = conversation.call("GET", f"{HISTORY}/{prediction_id}", as_person=owner)
    assert record.status_code == 200, record.get_json()
    assert record.get_json()["features"] == patient()


@then(parsers.parse('she sees the key "{name}" with the start of its secret'))
def sees_key(conversation, api_keys, name):
    items = conversation.last.get_json()["items"]
    listed = next(item for item in items if item["name"] == name)
    assert api_keys[name]["key"].startswith(listed["prefix"] + "_")


@then("the whole secret is not shown again")
def secret_not_shown(conversation, api_keys):
    text = conversation.last.get_data(as_text=True)
    for key in api_keys.values():
        assert key["key"] not in text
    assert all("key" not in item for item in conversation.last.get_json()["items"])


@then(parsers.parse('she sees the key "{name}" was used just now'))
def used_just_now(conversation, api_keys, name):
    """The key, unused when it was created, shows a use between its creation and now."""
    items = conversation.last.get_json()["items"]
    listed = next(item for item in items if item["name"] == name)
    assert api_keys[name]["last_used_at"] is None
    assert listed["last_used_at"] is not None
    created, used = (datetime.fromisoformat(listed[moment]).replace(tzinfo=None)
                     for moment in ("created_at", "last_used_at"))
    assert created <= used <= utcnow()


@then("the script is turned away because its key is not valid")
def key_not_valid(conversation, api_keys):
    response = conversation.call("GET", "/api/v1/users/me",
                                 headers=_with_key(_first_key(api_keys)["key"]))
    assert_refused(response, 401, "api_key_invalid")


@then("the script is turned away because its key has expired")
def key_expired(conversation):
    body = assert_refused(conversation.last, 401, "api_key_invalid")
    assert "expired" in body["detail"]


@then(parsers.parse("the script is turned away because {owner}'s account is inactive"))
def owner_inactive(conversation, owner):
    assert_refused(conversation.last, 401, "account_inactive")


@then(parsers.parse("the script is told the model is not {owner}'s to use"))
def model_not_owners(conversation, owner):
    assert_refused(conversation.last, 403, "forbidden")


@then("the script is told only a signed-in person may do that")
def only_signed_in_person(conversation):
    body = assert_refused(conversation.last, 403, "forbidden")
    assert "sign in" in body["detail"]


@then(parsers.parse("{owner} is told she already holds as many keys as one person may"))
def told_key_cap(app, conversation, owner):
    body = assert_refused(conversation.last, 409, "conflict")
    assert f"{app.config['MAX_API_KEYS']} live API keys" in body["detail"]


@then("she is told that deleting a key, or letting one expire, makes room")
def told_how_to_make_room(conversation):
    detail = conversation.last.get_json()["detail"]
    assert "Delete one" in detail
    assert "expire" in detail


@then(parsers.parse("{someone} is told there is no such key"))
def no_such_key(conversation, someone):
    assert_refused(conversation.last, 404, "not_found")


@then(parsers.parse('{owner}\'s key "{name}" still works'))
def key_still_works(conversation, api_keys, owner, name):
    response = conversation.call("GET", "/api/v1/users/me",
                                 headers=_with_key(api_keys[name]["key"]))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["username"] == owner.lower()


@then("the script is told to send only one of them")
def only_one_credential(conversation):
    body = assert_refused(conversation.last, 401, "token_invalid")
    assert "not both" in body["detail"]
