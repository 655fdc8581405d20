"""POST /api/v1/auth/register: who may register, with what, and what comes back."""

from datetime import datetime, timedelta

import pytest

from tests.unit.helpers import assert_problem

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
PASSWORD = "s3cret-password"


def account(**changes) -> dict:
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_register_returns_the_new_account_without_its_password(client):
    response = client.post(REGISTER, json=account(full_name="Alice Liddell"))

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "username", "email", "full_name", "role", "is_active", "created_at"}
    assert isinstance(body["id"], int)
    assert body["id"] > 0
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert body["full_name"] == "Alice Liddell"
    assert body["role"] == "user"
    assert body["is_active"] is True
    assert PASSWORD not in response.get_data(as_text=True)


def test_register_reports_creation_time_in_utc(client):
    created_at = client.post(REGISTER, json=account()).get_json()["created_at"]

    assert datetime.fromisoformat(created_at).utcoffset() == timedelta(0)


def test_registered_account_can_sign_in(client):
    client.post(REGISTER, json=account())

    response = client.post(LOGIN, json={"username": "alice", "password": PASSWORD})

    assert response.status_code == 200


def test_username_keeps_the_letter_case_it_was_registered_with(client):
    response = client.post(REGISTER, json=account(username="AliceL"))

    assert response.get_json()["username"] == "AliceL"


@pytest.mark.parametrize(
    ("username", "email", "taken"),
    [
        ("alice", "other@example.com", "username is"),
        ("ALICE", "other@example.com", "username is"),
        ("Alice", "other@example.com", "username is"),
        ("bob", "alice@example.com", "email is"),
        ("bob", "ALICE@Example.COM", "email is"),
        ("Alice", "Alice@example.com", "username and email are"),
    ],
    ids=[
        "same-username",
        "username-upper",
        "username-capitalised",
        "same-email",
        "email-other-case",
        "both",
    ],
)
def test_taken_username_or_email_in_any_case_is_a_conflict_naming_it(
    client, username, email, taken
):
    assert client.post(REGISTER, json=account()).status_code == 201

    response = client.post(REGISTER, json=account(username=username, email=email))

    body = assert_problem(response, 409, "conflict")
    assert body["detail"] == f"That {taken} already registered."


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "ab"),
        ("username", "a" * 33),
        ("username", "al ice"),
        ("username", "al!ce"),
        ("username", "alice@example.com"),
        ("username", ""),
        ("username", 12345),
        ("email", "not-an-email"),
        ("email", "alice@"),
        ("email", "a" * 250 + "@x.io"),
        ("password", "9-chars!!"),
        ("password", "p" * 129),
        ("password", 12345678),
        ("full_name", "x" * 101),
    ],
)
def test_invalid_field_is_refused_naming_the_field(client, field, value):
    response = client.post(REGISTER, json=account(**{field: value}))

    body = assert_problem(response, 422, "validation_error")
    assert field in body["errors"]


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_missing_required_field_is_refused_naming_it(client, missing):
    body = account()
    del body[missing]

    response = client.post(REGISTER, json=body)

    assert missing in assert_problem(response, 422, "validation_error")["errors"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "abc"),
        ("username", "a" * 32),
        ("username", "a.b_c-D9"),
        ("password", "vK7#pQ2m!x"),  # 10 characters, hard to guess
        ("password", ("marble kettle saffron dune orchard lantern " * 3)[:128]),
        ("full_name", "x" * 100),
        ("full_name", "Zoë Ørsted-Łukasz"),
    ],
)
def test_values_at_the_limits_are_accepted(client, field, value):
    response = client.post(REGISTER, json=account(**{field: value}))

    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", "admin"),
        ("is_active", True),
        ("id", 1),
    ],
)
def test_client_cannot_set_server_owned_fields(client, field, value):
    response = client.post(REGISTER, json={**account(), field: value})

    assert field in assert_problem(response, 422, "validation_error")["errors"]
    login = client.post(LOGIN, json={"username": "alice", "password": PASSWORD})
    assert_problem(login, 401, "invalid_credentials")
