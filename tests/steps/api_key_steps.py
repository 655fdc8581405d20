"""Steps of features/api_keys.feature: keys for scripts, what they may and may not do."""

from datetime import datetime, timedelta

import pytest
from pytest_bdd import given, parsers, then, when

from mlapi.auth.models import ApiKey
from mlapi.extensions import db
from mlapi.timeutil import utcnow
from tests.steps.common_steps import answer_to, assert_refused
from tests.steps.prediction_steps import HISTORY, PREDICT, patient

KEYS = "/api/v1/auth/api-keys"


@pytest.fixture
def script() -> dict:
    """The key a person created "for her script": the one "the script" uses by itself."""
    return {}


def _with_key(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


def _create(conversation, owner: str, name: str, days: int | None = None) -> dict:
    """A key ``owner`` creates, kept as ``conversation.keys[(owner, name)]``."""
    body = {"name": name} if days is None else {"name": name, "expires_in_days": days}
    response = conversation.call("POST", KEYS, as_person=owner, json=body)
    assert response.status_code == 201, response.get_json()
    conversation.keys[(owner, name)] = response.get_json()
    return conversation.keys[(owner, name)]


@given(parsers.parse('{owner} has created an API key "{name}" for her script'))
def created_for_script(conversation, script, owner, name):
    assert not script, "a scenario has one script: create the other keys without it"
    script.update(_create(conversation, owner, name))


@given(parsers.parse('{owner} has created an API key "{name}" that lasts {days:d} days'))
def created_expiring(conversation, owner, name, days):
    _create(conversation, owner, name, days)


@given(parsers.parse('{days:d} days have passed for the key "{name}"'))
def days_passed(app, conversation, days, name):
    with app.app_context():
        key = db.session.get(ApiKey, conversation.key_named(name)["id"])
        key.expires_at = key.expires_at - timedelta(days=days)
        key.created_at = key.created_at - timedelta(days=days)
        db.session.commit()


@when(
    parsers.re(
        r"the script asks the default model about a patient with "
        r"(?:(?P<holder>\w+)'s key|the key \"(?P<name>[^\"]+)\")"
    ),
    target_fixture="answer",
)
def script_predicts(conversation, holder, name):
    key = conversation.key_of(holder) if holder else conversation.key_named(name)
    return conversation.call(
        "POST", PREDICT, headers=_with_key(key["key"]), json={"features": patient()}
    )


@given(parsers.parse("{owner} holds as many API keys as one person may"))
def holds_the_most_keys(app, conversation, owner):
    held = conversation.call("GET", KEYS, as_person=owner).get_json()["total"]
    for number in range(held, app.config["MAX_API_KEYS"]):
        _create(conversation, owner, f"job-{number}")


@when(parsers.parse('{owner} asks for one more API key "{name}"'), target_fixture="answer")
def asks_for_one_more_key(conversation, owner, name):
    return conversation.call("POST", KEYS, as_person=owner, json={"name": name})


@when(parsers.parse("{owner} lists her API keys"), target_fixture="answer")
def list_keys(conversation, owner):
    return conversation.call("GET", KEYS, as_person=owner)


@when(parsers.parse('{owner} deletes the key "{name}"'))
def delete_own_key(conversation, owner, name):
    key = conversation.keys[(owner, name)]
    response = conversation.call("DELETE", f"{KEYS}/{key['id']}", as_person=owner)
    assert response.status_code == 204, response.get_json()


@when(
    parsers.re(
        r"(?P<someone>\w+) (?:tries to delete|revokes) (?P<owner>\w+)'s key "
        r"\"(?P<name>[^\"]+)\""
    ),
    target_fixture="answer",
)
def delete_someone_elses_key(conversation, someone, owner, name):
    key = conversation.keys[(owner, name)]
    return conversation.call("DELETE", f"{KEYS}/{key['id']}", as_person=someone)


@when(
    parsers.parse(
        "the script asks {owner}'s model \"{model}\" for a prediction with {holder}'s key"
    ),
    target_fixture="answer",
)
def script_uses_model(conversation, models, owner, model, holder):
    assert models[model]["owner"] == owner, f'"{model}" is {models[model]["owner"]}\'s model'
    return conversation.call(
        "POST",
        f"/api/v1/models/{models[model]['id']}/predict",
        headers=_with_key(conversation.key_of(holder)["key"]),
        json={"features": patient()},
    )


ACCOUNT_ACTIONS = {
    "create another API key": lambda key_id: ("POST", KEYS, {"name": "another"}),
    "list Alice's API keys": lambda key_id: ("GET", KEYS, None),
    "delete the key": lambda key_id: ("DELETE", f"{KEYS}/{key_id}", None),
    "replace the key": lambda key_id: ("POST", f"{KEYS}/{key_id}/rotate", None),
    "sign Alice out": lambda key_id: ("POST", "/api/v1/auth/logout", None),
    "renew Alice's session": lambda key_id: ("POST", "/api/v1/auth/refresh", None),
}


@when(parsers.parse("the script tries to {action} with {owner}'s key"), target_fixture="answer")
def script_manages(conversation, action, owner):
    key = conversation.key_of(owner)
    method, path, body = ACCOUNT_ACTIONS[action](key["id"])
    return conversation.call(method, path, headers=_with_key(key["key"]), json=body)


@when(
    parsers.parse("the script sends {owner}'s key together with {holder}'s token"),
    target_fixture="answer",
)
def script_sends_both(conversation, owner, holder):
    headers = {
        **_with_key(conversation.key_of(owner)["key"]),
        **conversation.session(holder).headers,
    }
    return conversation.call("GET", "/api/v1/users/me", headers=headers)


@then("the script gets a prediction")
def script_gets_prediction(answer):
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert isinstance(body["prediction"], float)


@then(parsers.parse("the script's prediction appears in {owner}'s history"))
def in_owners_history(conversation, answer, owner):
    prediction_id = answer.get_json()["prediction_id"]
    record = conversation.call("GET", f"{HISTORY}/{prediction_id}", as_person=owner)
    assert record.status_code == 200, record.get_json()
    assert record.get_json()["features"] == patient()


def _listed(conversation, answer, name: str) -> tuple[dict, dict]:
    """The key ``name`` of whoever listed their keys: (as listed, as created)."""
    assert answer.status_code == 200, answer.get_json()
    listed = next(item for item in answer.get_json()["items"] if item["name"] == name)
    return listed, conversation.keys[(conversation.asker(answer), name)]


@then(parsers.parse('she sees the key "{name}" with the start of its secret'))
def sees_key(conversation, answer, name):
    listed, created = _listed(conversation, answer, name)
    assert created["key"].startswith(listed["prefix"] + "_")


@then("the whole secret is not shown again")
def secret_not_shown(conversation, answer):
    text = answer.get_data(as_text=True)
    for key in conversation.keys.values():
        assert key["key"] not in text
    assert all("key" not in item for item in answer.get_json()["items"])


@then(parsers.parse('she sees the key "{name}" was used just now'))
def used_just_now(conversation, answer, name):
    """The key, unused when it was created, shows a use between its creation and now."""
    listed, created = _listed(conversation, answer, name)
    assert created["last_used_at"] is None
    assert listed["last_used_at"] is not None
    created_at, used = (
        datetime.fromisoformat(listed[moment]).replace(tzinfo=None)
        for moment in ("created_at", "last_used_at")
    )
    assert created_at <= used <= utcnow()


@then("the script is turned away because its key is not valid")
def key_not_valid(conversation, script):
    response = conversation.call("GET", "/api/v1/users/me", headers=_with_key(script["key"]))
    assert_refused(response, 401, "api_key_invalid")


@then("the script is turned away because its key has expired")
def key_expired(answer):
    body = assert_refused(answer, 401, "api_key_invalid")
    assert "expired" in body["detail"]


@then(parsers.parse("the script is turned away because {owner}'s account is inactive"))
def owner_inactive(conversation, answer, owner):
    assert_refused(answer, 401, "account_inactive")
    answer_to(conversation, answer, owner)


@then(parsers.parse("the script is told the model is not {owner}'s to use"))
def model_not_owners(conversation, answer, owner):
    assert_refused(answer, 403, "forbidden")
    answer_to(conversation, answer, owner)


@then("the script is told only a signed-in person may do that")
def only_signed_in_person(answer):
    body = assert_refused(answer, 403, "forbidden")
    assert "sign in" in body["detail"]


@then(parsers.parse("{owner} is told she already holds as many keys as one person may"))
def told_key_cap(app, conversation, answer, owner):
    body = assert_refused(answer, 409, "conflict")
    answer_to(conversation, answer, owner)
    assert f"{app.config['MAX_API_KEYS']} live API keys" in body["detail"]


@then("she is told that deleting a key, or letting one expire, makes room")
def told_how_to_make_room(answer):
    detail = answer.get_json()["detail"]
    assert "Delete one" in detail
    assert "expire" in detail


@then(parsers.parse("{someone} is told there is no such key"))
def no_such_key(conversation, answer, someone):
    assert_refused(answer, 404, "not_found")
    answer_to(conversation, answer, someone)


@then(parsers.parse('{owner}\'s key "{name}" still works'))
def key_still_works(conversation, owner, name):
    response = conversation.call(
        "GET", "/api/v1/users/me", headers=_with_key(conversation.keys[(owner, name)]["key"])
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["username"] == conversation.person(owner).username


@then("the script is told to send only one of them")
def only_one_credential(answer):
    body = assert_refused(answer, 401, "token_invalid")
    assert "not both" in body["detail"]
