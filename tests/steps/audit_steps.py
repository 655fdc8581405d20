"""Steps of features/audit.feature: the audit log, as administrators and users read it."""

import json

from pytest_bdd import given, parsers, then, when

from mlapi.auth.models import User
from mlapi.extensions import db
from tests.steps.common_steps import answer_to, assert_refused

ADMIN_AUDIT = "/api/v1/admin/audit"
MY_AUDIT = "/api/v1/audit"
PRONOUN = r"(?:her|his|their)"
ACCOUNT_ACTIONS = {"deactivated": "user.deactivated", "reactivated": "user.reactivated"}


def whole_log(conversation, admin: str = "Carol") -> list[dict]:
    """Every record, oldest first, as an administrator of the scenario reads it."""
    response = conversation.call(
        "GET", ADMIN_AUDIT, as_person=admin, query_string={"per_page": 100}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"][::-1]


def about(conversation, name: str, action: str) -> list[dict]:
    person = conversation.person(name)
    return [
        event
        for event in whole_log(conversation)
        if event["action"] == action and event["target"] == {"type": "user", "id": person.id}
    ]


@given(parsers.re(r"(?P<name>\w+)'s account is (?P<state>active|deactivated)"))
def account_state(app, conversation, name, state):
    """Set directly, leaving no record: the scenario's change is the only one."""
    with app.app_context():
        db.session.get(User, conversation.person(name).id).is_active = state == "active"
        db.session.commit()


@given(parsers.parse("{admin} has reactivated {name}'s account"))
def has_reactivated(conversation, admin, name):
    response = conversation.call(
        "PATCH",
        f"/api/v1/admin/users/{conversation.person(name).id}",
        as_person=admin,
        json={"is_active": True},
    )
    assert response.status_code == 200, response.get_json()


@when(
    parsers.parse("the operator makes {name} an administrator from the command line"),
    target_fixture="answer",
)
def promote_from_cli(app, conversation, name):
    result = app.test_cli_runner().invoke(args=["promote", conversation.person(name).username])
    assert result.exit_code == 0, result.output
    return result


@when(parsers.re(rf"(?P<name>\w+) reads {PRONOUN} audit log"), target_fixture="answer")
def read_own_log(conversation, name):
    return conversation.call("GET", MY_AUDIT, as_person=name)


@when(
    parsers.re(rf"(?P<name>\w+) signs in again and reads {PRONOUN} audit log"),
    target_fixture="answer",
)
def sign_in_and_read(conversation, name):
    conversation.sessions.pop((name, "default"), None)
    return conversation.call("GET", MY_AUDIT, as_person=name)


@when(parsers.parse("{name} tries to read the whole audit log"), target_fixture="answer")
def try_whole_log(conversation, name):
    return conversation.call("GET", ADMIN_AUDIT, as_person=name)


@when(parsers.parse("{name} tries to erase the audit log"), target_fixture="answer")
def try_erase(conversation, name):
    return conversation.call("DELETE", ADMIN_AUDIT, as_person=name)


@then(parsers.parse("the audit log shows who changed {name}'s role and when"))
def shows_who_changed_role(conversation, answer, name):
    assert answer.status_code == 200, answer.get_json()
    (event,) = about(conversation, name, "user.role_changed")
    admin = conversation.person("Carol")
    assert (event["actor"]["id"], event["actor"]["username"]) == (admin.id, admin.username)
    assert event["at"].endswith("+00:00")
    assert event["request_id"] == answer.headers["X-Request-ID"]


@then(parsers.parse("the audit log shows {name}'s role went from {before} to {after}"))
def shows_role_change(conversation, name, before, after):
    (event,) = about(conversation, name, "user.role_changed")
    assert (event["details"]["previous_role"], event["details"]["role"]) == (before, after)


@then(parsers.parse("the audit log shows {admin} {recorded} {name}'s account"))
def shows_account_change(conversation, answer, admin, recorded, name):
    assert answer.status_code == 200, answer.get_json()
    (event,) = about(conversation, name, ACCOUNT_ACTIONS[recorded])
    assert event["actor"]["id"] == conversation.person(admin).id
    assert event["details"] == {"username": conversation.person(name).username}


@then(parsers.parse("the audit log shows the operator changed {name}'s role"))
def shows_operator(conversation, name):
    (event,) = about(conversation, name, "user.role_changed")
    assert event["actor"] == {"kind": "cli", "id": None, "username": None, "api_key_id": None}


@then(parsers.re(r'(?P<name>\w+) sees that (?:he|she|they) created the API key "(?P<key>[^"]+)"'))
def sees_own_key(conversation, answer, name, key):
    answer_to(conversation, answer, name)
    created = [e for e in answer.get_json()["items"] if e["action"] == "api_key.created"]
    assert [event["details"]["name"] for event in created] == [key]
    assert created[0]["actor"]["id"] == conversation.person(name).id


@then(parsers.parse("{name} sees nothing {other} did"))
def sees_nothing_of(conversation, answer, name, other):
    answer_to(conversation, answer, name)
    actors = {event["actor"]["id"] for event in answer.get_json()["items"]}
    assert conversation.person(other).id not in actors
    assert actors == {conversation.person(name).id}


@then(
    parsers.re(
        r"(?P<name>\w+) sees that (?P<admin>\w+) deactivated and then "
        rf"reactivated {PRONOUN} account"
    )
)
def sees_admin_changes(conversation, answer, name, admin):
    answer_to(conversation, answer, name)
    events = answer.get_json()["items"][::-1]  # oldest first
    assert [event["action"] for event in events] == ["user.deactivated", "user.reactivated"]
    assert {event["actor"]["id"] for event in events} == {conversation.person(admin).id}


@then(parsers.parse("{name} is told the audit log cannot be changed"))
def told_read_only(conversation, answer, name):
    answer_to(conversation, answer, name)
    assert_refused(answer, 405, "method_not_allowed")
    assert "DELETE" not in answer.headers["Allow"]
    assert len(whole_log(conversation)) >= 1


@then(
    parsers.re(rf"the audit log does not hold (?P<name>\w+)'s password or {PRONOUN} script's key")
)
def holds_no_secret(conversation, name):
    log = json.dumps(whole_log(conversation))
    key = conversation.keys[(name, "script")]
    assert key["prefix"] in log  # the key is on record, by its public prefix
    assert key["key"] not in log
    assert conversation.person(name).password not in log
