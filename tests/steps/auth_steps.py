"""Steps of features/auth.feature: registering, signing in, sessions."""

from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token
from pytest_bdd import given, parsers, then, when

from mlapi.auth.models import User
from mlapi.extensions import db
from tests.steps.common_steps import assert_refused, assert_refused_pointing_at
from tests.support.users import TestUser, Tokens

PRONOUN = r"(?:her|his|their)"
REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
PROFILE = "/api/v1/users/me"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


@pytest.fixture
def sign_ins() -> dict:
    """The answers to the scenario's sign-ins, by who signed in (a name, or the username
    someone tried)."""
    return {}


def _registration(username: str, email: str, password: str = "a-good-password") -> dict:
    return {"username": username, "email": email, "password": password}


def _example_value(value: str):
    """Table values: "text" literally, "N characters" a string that long, "nothing" absent."""
    if value == "nothing":
        return None
    if value.endswith(" characters"):
        return "a" * int(value.split()[0])
    return value.strip('"')


@given(parsers.parse('{name} has an account with the password "{password}"'))
def has_account(conversation, name, password):
    conversation.person(name, password)


@given(parsers.parse("{name}'s account has been deactivated"))
def deactivated(app, conversation, name):
    with app.app_context():
        db.session.get(User, conversation.person(name).id).is_active = False
        db.session.commit()


@given(parsers.parse("{name} is signed in with a session that has expired"))
def expired_session(app, conversation, name):
    with app.app_context():
        token = create_access_token(
            str(conversation.person(name).id), expires_delta=timedelta(seconds=-1)
        )
    conversation.sessions[(name, "default")] = Tokens(token, refresh="")


@given(parsers.parse("someone has tampered with {name}'s token"))
def tampered(conversation, name):
    tokens = conversation.session(name)
    header, payload, signature = tokens.access.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    conversation.sessions[(name, "default")] = Tokens(
        f"{header}.{payload}.{flipped}", tokens.refresh
    )


@given(parsers.re(rf"(?P<name>\w+) is signed in on {PRONOUN} laptop and on {PRONOUN} phone"))
def two_devices(conversation, name):
    conversation.session(name, "laptop")
    conversation.session(name, "phone")


@when(
    parsers.parse('{name} registers with the email "{email}" and the password "{password}"'),
    target_fixture="answer",
)
def register(conversation, name, email, password):
    response = conversation.call(
        "POST", REGISTER, by=name, json=_registration(name.lower(), email, password)
    )
    if response.status_code == 201:
        conversation.people[name] = TestUser(
            response.get_json()["id"], name.lower(), email, password
        )
    return response


@when(
    parsers.parse('someone registers as "{username}" with a fresh email address'),
    target_fixture="answer",
)
def register_fresh_email(conversation, username):
    return conversation.call("POST", REGISTER, json=_registration(username, "fresh@example.com"))


@when(
    parsers.parse('someone registers as "{username}" with {name}\'s email address in capitals'),
    target_fixture="answer",
)
def register_taken_email(conversation, username, name):
    email = conversation.person(name).email.upper()
    return conversation.call("POST", REGISTER, json=_registration(username, email))


@when(
    parsers.re(r"someone registers with (?P<detail>\w+) set to (?P<value>.+)"),
    target_fixture="answer",
)
def register_with(conversation, detail, value):
    body = _registration("carol", "carol@example.com")
    body.pop(detail)
    if (given := _example_value(value)) is not None:
        body[detail] = given
    return conversation.call("POST", REGISTER, json=body)


@when(
    parsers.re(
        rf"(?P<name>\w+) signs in with {PRONOUN} (?P<identifier>username|email "
        r'address) and the password "(?P<password>[^"]+)"'
    ),
    target_fixture="answer",
)
def sign_in_as(conversation, sign_ins, name, identifier, password):
    person = conversation.person(name)
    key = "username" if identifier == "username" else "email"
    sign_ins[name] = conversation.call(
        "POST", LOGIN, by=name, json={key: getattr(person, key), "password": password}
    )
    return sign_ins[name]


@when(
    parsers.parse('someone signs in as "{username}" with the password "{password}"'),
    target_fixture="answer",
)
def sign_in_unknown(conversation, sign_ins, username, password):
    sign_ins[username] = conversation.call(
        "POST", LOGIN, json={"username": username, "password": password}
    )
    return sign_ins[username]


@when(parsers.re(rf"(?P<name>\w+) looks at {PRONOUN} profile"), target_fixture="answer")
def look_at_profile(conversation, name):
    return conversation.call("GET", PROFILE, as_person=name)


@when(parsers.re(rf"(?P<name>\w+) signs out(?: on {PRONOUN} (?P<device>\w+))?$"))
def sign_out(conversation, name, device):
    response = conversation.call("POST", LOGOUT, as_person=name, device=device or "default")
    assert response.status_code == 204, response.get_json()


@when(parsers.re(rf"(?P<name>\w+) renews {PRONOUN} session"), target_fixture="answer")
def renew(conversation, name):
    return conversation.call("POST", REFRESH, token=conversation.session(name).refresh)


@then(parsers.parse("{name}'s account is created"))
def account_created(answer, name):
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["username"] == name.lower()
    assert isinstance(answer.get_json()["id"], int)


@then(parsers.parse('{name}\'s profile shows the email "{email}" and the role "{role}"'))
def profile_shows(conversation, name, email, role):
    profile = conversation.call("GET", PROFILE, as_person=name).get_json()
    assert (profile["email"], profile["role"], profile["is_active"]) == (email, role, True)


@then("the registration is refused because the account is already registered")
def already_registered(answer):
    body = assert_refused(answer, 409, "conflict")
    assert "already registered" in body["detail"]


@then(parsers.parse("the registration is refused, pointing at the {detail}"))
def registration_refused(answer, detail):
    assert_refused_pointing_at(answer, detail)


# What the refusal says, for each reason a scenario gives (mlapi/auth/password_rules.py).
PASSWORD_REFUSALS = {
    "is too short": "Use 10 to 128 characters.",
    "is a common one": "This is a very common password.",
    "is too easy to guess": "Too easy to guess.",
    "repeats itself": "Repeats like",
    "is built on the username or email address": "built on your username or email address",
}


@then(parsers.parse("the registration is refused because the password {reason}"))
def weak_password_refused(answer, reason):
    body = assert_refused_pointing_at(answer, "password")
    assert PASSWORD_REFUSALS[reason] in " ".join(body["errors"]["password"]), body["errors"]


@then(parsers.parse("{name} receives an access token and a refresh token"))
def receives_tokens(conversation, answer, name):
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    profile = conversation.call("GET", PROFILE, token=body["access_token"]).get_json()
    assert profile["username"] == conversation.person(name).username
    assert body["refresh_token"] != body["access_token"]


@then("both sign-ins are refused with the same answer")
def refused_alike(sign_ins):
    assert len(sign_ins) == 2, list(sign_ins)
    first, second = (
        assert_refused(response, 401, "invalid_credentials") for response in sign_ins.values()
    )
    assert first == second


@then("the sign-in is refused because the account is inactive")
def login_refused_inactive(answer):
    assert_refused(answer, 403, "account_inactive")


@then("she sees her username and email address")
def sees_profile(conversation, answer):
    """ "She" is whoever looked at her profile."""
    profile = answer.get_json()
    assert answer.status_code == 200, profile
    person = conversation.people[conversation.asker(answer)]
    assert (profile["username"], profile["email"]) == (person.username, person.email)


@then("the profile does not contain her password in any form")
def no_password(conversation, answer):
    text = answer.get_data(as_text=True)
    assert conversation.people[conversation.asker(answer)].password not in text
    assert "password" not in text
    assert "$argon2" not in text


@then(
    parsers.re(
        r"(?:she|he|they) (?:is|are) refused because (?:her|his|their) "
        r"(?P<reason>.+)"
    )
)
def refused_because(answer, reason):
    expected = {
        "session has expired": "token_expired",
        "token is invalid": "token_invalid",
        "session was revoked": "token_revoked",
        "account is inactive": "account_inactive",
    }[reason]
    body = assert_refused(answer, 401, expected)
    if expected == "token_expired":
        assert "expired" in body["detail"]


@then(parsers.re(rf"(?P<name>\w+) can no longer renew {PRONOUN} session"))
def cannot_renew(conversation, name):
    response = conversation.call("POST", REFRESH, token=conversation.session(name).refresh)
    assert_refused(response, 401, "token_revoked")


@then(parsers.re(rf"(?P<name>\w+) can still see {PRONOUN} profile on {PRONOUN} phone"))
def still_works(conversation, name):
    response = conversation.call("GET", PROFILE, as_person=name, device="phone")
    assert response.status_code == 200, response.get_json()
    revoked = conversation.call("GET", PROFILE, as_person=name, device="laptop")
    assert_refused(revoked, 401, "token_revoked")


@then(parsers.parse("{name} receives a new access token that works"))
def new_token_works(conversation, answer, name):
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert body["access_token"] != conversation.session(name).access
    profile = conversation.call("GET", PROFILE, token=body["access_token"])
    assert profile.get_json()["username"] == conversation.person(name).username
