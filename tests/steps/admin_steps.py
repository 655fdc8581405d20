"""Steps of features/admin.feature: accounts, roles, service figures, the default model."""

import pytest
from pytest_bdd import given, parsers, then, when

from tests.steps.common_steps import answer_to, assert_refused
from tests.steps.prediction_steps import patient

USERS = "/api/v1/admin/users"
KEYS = "/api/v1/auth/api-keys"
STATS = "/api/v1/admin/stats"
DEFAULT_MODEL = "/api/v1/admin/default-model"
PROFILE = "/api/v1/users/me"
PREDICT = "/api/v1/predict"
PRONOUN = r"(?:her|his|their)"

# What a product owner calls an admin action -> (method, path, body) of a harmless request.
ACTIONS = {
    "list the accounts": ("GET", USERS, None),
    "change an account": ("PATCH", f"{USERS}/1", {"is_active": True}),
    "read the service figures": ("GET", STATS, None),
    "choose the default model": ("PUT", DEFAULT_MODEL, {"model_id": 1}),
}
CHANGES = {
    "demote": {"role": "user"},
    "deactivate": {"is_active": False},
    "reactivate": {"is_active": True},
    "promote": {"role": "admin"},
}


@pytest.fixture
def models() -> dict[str, dict]:
    """The models of the scenario, by name: their id and their owner."""
    return {}


@given(parsers.parse("{name} has a script with an API key"))
def has_script(conversation, name):
    response = conversation.call("POST", KEYS, as_person=name, json={"name": "script"})
    assert response.status_code == 201, response.get_json()
    conversation.keys[(name, "script")] = response.get_json()


def _change(conversation, admin, name, change):
    return conversation.call(
        "PATCH", f"{USERS}/{conversation.person(name).id}", as_person=admin, json=CHANGES[change]
    )


@given(parsers.parse("{name} is an administrator"))
def administrator(conversation, make_user, name):
    conversation.people[name] = make_user(
        name.lower(), role="admin", email=f"{name.lower()}@example.com"
    )


@given(parsers.parse("{first} and {second} have accounts"))
def have_accounts(conversation, first, second):
    conversation.person(first)
    conversation.person(second)


@given(parsers.parse('{owner} has shared a model "{model}" with everyone'))
def shared_model(conversation, upload_model, models, owner, model):
    models[model] = {
        "owner": owner,
        "id": upload_model(conversation.session(owner).headers, model, visibility="public")["id"],
    }


@given(parsers.re(r'(?P<owner>\w+) has kept a model "(?P<model>[^"]+)" to (?:her|him|them)self'))
def private_model(conversation, upload_model, models, owner, model):
    models[model] = {
        "owner": owner,
        "id": upload_model(conversation.session(owner).headers, model, visibility="private")["id"],
    }


@given(parsers.parse("{admin} has deactivated {name}'s account"))
def has_deactivated(conversation, admin, name):
    assert _change(conversation, admin, name, "deactivate").status_code == 200


@when(parsers.parse("{admin} looks at the list of accounts"), target_fixture="answer")
def list_accounts(conversation, admin):
    return conversation.call("GET", USERS, as_person=admin)


@when(
    parsers.re(r"(?P<admin>\w+) (?P<change>deactivates|reactivates) (?P<name>\w+)'s account"),
    target_fixture="answer",
)
def change_account(conversation, admin, change, name):
    return _change(conversation, admin, name, change.removesuffix("s"))


@when(parsers.parse("{admin} makes {name} an administrator"), target_fixture="answer")
def promote(conversation, admin, name):
    return _change(conversation, admin, name, "promote")


@when(
    parsers.re(rf"(?P<name>\w+) tries to (?P<change>demote|deactivate) {PRONOUN} own account"),
    target_fixture="answer",
)
def step_down(conversation, name, change):
    return _change(conversation, name, name, change)


@when(
    parsers.re(rf"(?P<name>\w+) tries to (?P<action>{'|'.join(ACTIONS)})"), target_fixture="answer"
)
def try_admin_action(conversation, name, action):
    method, path, body = ACTIONS[action]
    return conversation.call(method, path, as_person=name, json=body)


@when(parsers.parse("{admin} reads the service figures"), target_fixture="answer")
def read_figures(conversation, admin):
    return conversation.call("GET", STATS, as_person=admin)


@when(parsers.parse('{admin} makes "{model}" the default model'), target_fixture="answer")
def choose_default(conversation, models, admin, model):
    return conversation.call(
        "PUT", DEFAULT_MODEL, as_person=admin, json={"model_id": models[model]["id"]}
    )


@then(parsers.parse("{admin} sees the accounts of {names} in that order"))
def sees_accounts(conversation, answer, admin, names):
    assert answer.status_code == 200, answer.get_json()
    answer_to(conversation, answer, admin)
    expected = names.replace(" and ", ", ").split(", ")
    listed = [item["username"] for item in answer.get_json()["items"]]
    assert listed == [conversation.person(name).username for name in expected]


@then(parsers.parse("{name} can no longer use the service"))
def cannot_use(conversation, name):
    assert_refused(conversation.call("GET", PROFILE, as_person=name), 401, "account_inactive")


@then(parsers.parse("{name}'s sign-in from before the deactivation no longer works"))
def old_sign_in_revoked(conversation, name):
    assert_refused(conversation.call("GET", PROFILE, as_person=name), 401, "token_revoked")


@then(parsers.parse("{name} can sign in again and use the service"))
def can_sign_in_again(conversation, name):
    response = conversation.call("GET", PROFILE, as_person=name, device="after reactivation")
    assert response.status_code == 200, response.get_json()


@then(parsers.parse("{name}'s script works again"))
def script_works_again(conversation, name):
    response = conversation.call(
        "GET", PROFILE, headers={"X-API-Key": conversation.keys[(name, "script")]["key"]}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["username"] == conversation.person(name).username


@then(parsers.parse("{name} can look after accounts"))
def can_administer(conversation, name):
    response = conversation.call("GET", USERS, as_person=name)
    assert response.status_code == 200, response.get_json()


@then(parsers.parse("{name} is told the service needs at least one active administrator"))
def told_last_admin(conversation, answer, name):
    body = assert_refused(answer, 409, "conflict")
    answer_to(conversation, answer, name)
    assert "last active administrator" in body["detail"]


@then(parsers.parse("{name} is still an active administrator"))
def still_admin(conversation, name):
    profile = conversation.call("GET", PROFILE, as_person=name).get_json()
    assert (profile["role"], profile["is_active"]) == ("admin", True)


@then(parsers.parse("{name} is no longer an administrator"))
def no_longer_admin(conversation, answer, name):
    assert answer.status_code == 200, answer.get_json()
    assert conversation.call("GET", PROFILE, as_person=name).get_json()["role"] == "user"
    assert_refused(conversation.call("GET", USERS, as_person=name), 403, "forbidden")


@then(parsers.parse("{name} is told only administrators may do this"))
def told_admins_only(conversation, answer, name):
    assert_refused(answer, 403, "forbidden")
    answer_to(conversation, answer, name)


@then(parsers.parse("{admin} sees {count:d} prediction and {requests:d} request for a prediction"))
def sees_figures(conversation, answer, admin, count, requests):
    stats = answer.get_json()
    assert answer.status_code == 200, stats
    answer_to(conversation, answer, admin)
    assert stats["predictions"] == count
    predict = [
        row for row in stats["endpoints"] if (row["method"], row["endpoint"]) == ("POST", PREDICT)
    ]
    assert [row["count"] for row in predict] == [requests]


@then(parsers.parse("{name} is told only a shared model can be the default"))
def told_not_public(conversation, answer, name):
    assert_refused(answer, 422, "model_not_public")
    answer_to(conversation, answer, name)


@then(parsers.parse('{name}\'s next prediction comes from "{model}"'))
def next_prediction_from(conversation, name, model):
    response = conversation.call("POST", PREDICT, as_person=name, json={"features": patient()})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["model_name"] == model
