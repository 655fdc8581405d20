"""A new password must be hard to guess (SPEC: register, password change, create-admin):
10 to 128 characters, and refused, saying why, when it is common or built on the names."""

import pytest

from tests.contract_client import session_secrets
from tests.support.settings import TEST_PASSWORD
from tests.unit.helpers import assert_problem

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
CHANGE = "/api/v1/auth/password"
USERNAME = "brightwater"
EMAIL = "quillsmith@example.com"
PASSPHRASE = "marble kettle saffron dune"
WORDS = (
    "marble kettle saffron dune orchard lantern violet basalt quarry tundra glacier pepper "
    "ribbon fjord willow ember cobalt heron thimble"
)
LONGEST = WORDS[:128]

WEAK = {
    "too short": "vK7#pQ2m!",  # 9 characters, otherwise hard to guess
    "a common password": "password1234",
    "the username inside": f"{USERNAME}-1987",
    "the email's local part": "quillsmith-1987",
    "one letter repeated": "qqqqqqqqqqqq",  # not "a" * 12: another test sends that as a request id
    "a keyboard walk": "qwertyuiop12",
    "too long": LONGEST + "x",
}
for weak in WEAK.values():
    session_secrets.add(weak)  # the secret scan fails any response or log line showing it


def register(client, password: str):
    return client.post(REGISTER, json={"username": USERNAME, "email": EMAIL, "password": password})


@pytest.fixture
def owner(make_user):
    return make_user(USERNAME, email=EMAIL)


def change(client, sign_in, owner, password: str):
    tokens = sign_in(owner)
    return client.post(
        CHANGE,
        json={"current_password": TEST_PASSWORD, "new_password": password},
        headers=tokens.headers,
    )


def create_admin(app, password: str):
    return app.test_cli_runner().invoke(
        args=["create-admin", "--username", USERNAME, "--email", EMAIL, "--password-stdin"],
        input=f"{password}\n",
    )


def signs_in(client, password: str) -> bool:
    response = client.post(LOGIN, json={"username": USERNAME, "password": password})
    return response.status_code == 200


def test_the_names_make_a_password_weak_that_is_strong_for_others(client):
    other = client.post(
        REGISTER,
        json={
            "username": "someone",
            "email": "someone@example.com",
            "password": WEAK["the email's local part"],
        },
    )
    assert other.status_code == 201, other.get_json()

    body = assert_problem(register(client, WEAK["the email's local part"]), 422, "validation_error")
    assert "username or email" in body["errors"]["password"][0]


@pytest.mark.parametrize("password", WEAK.values(), ids=WEAK.keys())
def test_register_refuses_a_weak_password_saying_why(client, password):
    response = register(client, password)

    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]) == ["password"]
    reason = " ".join(body["errors"]["password"])
    assert any(word in reason for word in ("characters", "guess")), reason
    assert password not in response.get_data(as_text=True)
    assert not signs_in(client, password)


@pytest.mark.parametrize("password", WEAK.values(), ids=WEAK.keys())
def test_a_password_change_refuses_a_weak_password_saying_why(client, sign_in, owner, password):
    response = change(client, sign_in, owner, password)

    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]) == ["new_password"]
    assert password not in response.get_data(as_text=True)
    assert signs_in(client, TEST_PASSWORD)


def test_a_wrong_current_password_is_told_before_a_weak_new_one(client, sign_in, owner):
    response = client.post(
        CHANGE,
        json={"current_password": "not-the-password", "new_password": WEAK["a common password"]},
        headers=sign_in(owner).headers,
    )

    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]) == ["current_password"]


@pytest.mark.parametrize("password", WEAK.values(), ids=WEAK.keys())
def test_create_admin_refuses_a_weak_password_saying_why(app, client, password):
    result = create_admin(app, password)

    assert result.exit_code == 2
    assert "Invalid value for --password-stdin" in result.output
    assert any(word in result.output for word in ("characters", "guess"))
    assert password not in result.output
    assert not signs_in(client, password)


@pytest.mark.parametrize("password", [PASSPHRASE, LONGEST], ids=["passphrase", "128 characters"])
def test_a_hard_to_guess_password_is_accepted_everywhere(app, client, make_user, sign_in, password):
    assert len(LONGEST) == 128
    assert register(client, password).status_code == 201
    assert signs_in(client, password)

    other = make_user("ferrywoman", email="lanternkeeper@example.com")
    changed = client.post(
        CHANGE,
        json={"current_password": TEST_PASSWORD, "new_password": password},
        headers=sign_in(other).headers,
    )
    assert changed.status_code == 204, changed.get_json()

    result = app.test_cli_runner().invoke(
        args=[
            "create-admin",
            "--username",
            "rootadmin",
            "--email",
            "ops@example.com",
            "--password-stdin",
        ],
        input=f"{password}\n",
    )
    assert result.exit_code == 0, result.output


def test_create_admin_scores_the_password_with_the_names_typed_at_the_prompt(app):
    weak = WEAK["the username inside"]
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", EMAIL, "--password", weak], input=f"{USERNAME}\n"
    )

    assert result.exit_code == 2
    assert "username or email" in result.output
    assert weak not in result.output
