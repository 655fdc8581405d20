"""Steps of features/account.feature: changing a password, signing out everywhere.

The account's budget of wrong passwords is read at each attempt, so a scenario may set it
after the service is in use (unlike the budgets of features/rate_limits.feature).
"""

from dataclasses import replace

import pytest
from pytest_bdd import given, parsers, then, when

from tests.contract_client import session_secrets
from tests.steps.common_steps import answer_to, assert_refused, assert_refused_pointing_at

PRONOUN = r"(?:her|his|their)"
PASSWORD = "/api/v1/auth/password"
LOGOUT_ALL = "/api/v1/auth/logout-all"
LOGIN = "/api/v1/auth/login"
PROFILE = "/api/v1/users/me"
REFRESH = "/api/v1/auth/refresh"
NEW_PASSWORD = "harbour-violet-cobalt-61"
WRONG_PASSWORD = "not-her-password-at-all"
session_secrets.add(NEW_PASSWORD)


@pytest.fixture
def old_passwords() -> dict[str, str]:
    """Each person's password before they changed it, by name."""
    return {}


def _change(conversation, old_passwords, name: str, device: str, current: str):
    """Ask for the change from ``name``'s ``device``; when it is made, ``name`` signs in
    with the new password from then on (the old one goes to ``old_passwords``)."""
    person = conversation.person(name)
    response = conversation.call(
        "POST",
        PASSWORD,
        as_person=name,
        device=device,
        json={"current_password": current, "new_password": NEW_PASSWORD},
    )
    if response.status_code == 204:
        conversation.people[name] = replace(person, password=NEW_PASSWORD)
        old_passwords[name] = person.password
    return response


def _sign_in(conversation, name: str, password: str):
    """A sign-in from a client of its own (no known-device cookie)."""
    client = conversation.client.application.test_client()
    username = conversation.person(name).username
    return client.post(LOGIN, json={"username": username, "password": password})


@given(parsers.parse("an account may have {count:d} wrong passwords a minute"))
def account_budget(app, count):
    app.config["RATELIMIT_LOGIN_ACCOUNT"] = f"{count}/minute"


@when(
    parsers.re(rf"(?P<name>\w+) changes {PRONOUN} password(?: on {PRONOUN} (?P<device>\w+))?$"),
    target_fixture="answer",
)
def change_password(conversation, old_passwords, name, device):
    current = conversation.person(name).password
    response = _change(conversation, old_passwords, name, device or "default", current)
    assert response.status_code == 204, response.get_json()
    return response


@when(
    parsers.re(rf"(?P<name>\w+) tries to change {PRONOUN} password giving a wrong current one"),
    target_fixture="answer",
)
def change_with_wrong_password(conversation, old_passwords, name):
    return _change(conversation, old_passwords, name, "default", WRONG_PASSWORD)


@when(
    parsers.re(
        rf"(?P<name>\w+) gives a wrong current password (?P<count>\d+) times?, then "
        rf"{PRONOUN} right one"
    ),
    target_fixture="answer",
)
def wrong_then_right(conversation, old_passwords, name, count):
    for _ in range(int(count)):
        wrong = _change(conversation, old_passwords, name, "default", WRONG_PASSWORD)
        assert wrong.status_code == 422, wrong.get_json()
    return _change(conversation, old_passwords, name, "default", conversation.person(name).password)


@when(parsers.re(rf"(?P<name>\w+) signs out everywhere on {PRONOUN} (?P<device>\w+)"))
def sign_out_everywhere(conversation, name, device):
    response = conversation.call("POST", LOGOUT_ALL, as_person=name, device=device)
    assert response.status_code == 204, response.get_json()


@then(
    parsers.re(
        rf"(?P<name>\w+) is turned away on {PRONOUN} (?P<first>\w+)"
        rf"(?: and on {PRONOUN} (?P<second>\w+))?$"
    )
)
def turned_away(conversation, name, first, second):
    for device in filter(None, (first, second)):
        tokens = conversation.session(name, device)
        profile = conversation.call("GET", PROFILE, token=tokens.access)
        assert_refused(profile, 401, "token_revoked")
        renewed = conversation.call("POST", REFRESH, token=tokens.refresh)
        assert_refused(renewed, 401, "token_revoked")


@then(parsers.re(rf"(?P<name>\w+) can go on working on {PRONOUN} (?P<device>\w+)"))
def goes_on(conversation, name, device):
    tokens = conversation.session(name, device)
    assert conversation.call("GET", PROFILE, token=tokens.access).status_code == 200
    renewed = conversation.call("POST", REFRESH, token=tokens.refresh)
    assert renewed.status_code == 200, renewed.get_json()


@then(parsers.re(rf"(?P<name>\w+) can no longer sign in with {PRONOUN} old password"))
def old_password_refused(conversation, old_passwords, name):
    old = old_passwords[name]
    assert_refused(_sign_in(conversation, name, old), 401, "invalid_credentials")


@then(parsers.re(rf"(?P<name>\w+) can sign in with {PRONOUN} new password"))
def new_password_works(conversation, name):
    response = _sign_in(conversation, name, conversation.person(name).password)
    assert response.status_code == 200, response.get_json()


@then(parsers.parse("{name} is told her current password is not right"))
def told_wrong_password(conversation, answer, name):
    assert_refused_pointing_at(answer_to(conversation, answer, name), "current_password")


@then(parsers.parse("{name}'s password is unchanged"))
def unchanged(conversation, old_passwords, name):
    assert name not in old_passwords
    response = _sign_in(conversation, name, conversation.person(name).password)
    assert response.status_code == 200, response.get_json()


@then(parsers.parse("the change is {outcome}"))
def change_outcome(answer, outcome):
    if outcome == "made":
        assert answer.status_code == 204, answer.get_json()
    else:
        assert outcome == "refused until the budget recovers", outcome
        assert_refused(answer, 429, "rate_limited")
        assert int(answer.headers["Retry-After"]) > 0
