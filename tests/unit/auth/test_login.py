"""POST /api/v1/auth/login: token pairs for the right password, one answer for every wrong one."""

from datetime import timedelta

import pytest

from tests.support.users import bearer
from tests.unit.helpers import assert_problem

LOGIN = "/api/v1/auth/login"


def test_login_returns_a_bearer_token_pair(client, user):
    response = client.post(LOGIN, json={"username": user.username, "password": user.password})

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["access_token"] != body["refresh_token"]


def test_access_token_from_login_identifies_the_user(client, user):
    tokens = client.post(
        LOGIN, json={"username": user.username, "password": user.password}
    ).get_json()

    me = client.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))

    assert me.status_code == 200
    assert me.get_json()["id"] == user.id
    assert me.get_json()["username"] == user.username


def test_expires_in_follows_the_configured_access_lifetime(app, client, user):
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(minutes=5)

    response = client.post(LOGIN, json={"username": user.username, "password": user.password})

    assert response.get_json()["expires_in"] == 300


@pytest.mark.parametrize(
    "credentials",
    [
        lambda u: {"username": u.email},
        lambda u: {"username": u.email.upper()},
        lambda u: {"email": u.email},
    ],
    ids=["email-in-username", "email-any-case", "email-field"],
)
def test_login_accepts_the_email_address(client, user, credentials):
    response = client.post(LOGIN, json={**credentials(user), "password": user.password})

    assert response.status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_answer(client, user):
    wrong_password = client.post(
        LOGIN, json={"username": user.username, "password": "not-the-password"}
    )
    unknown_user = client.post(
        LOGIN, json={"username": "nobody-here", "password": "not-the-password"}
    )

    assert_problem(wrong_password, 401, "invalid_credentials")
    assert_problem(unknown_user, 401, "invalid_credentials")
    assert wrong_password.get_json() == unknown_user.get_json()


def test_deactivated_user_with_the_right_password_is_told_the_account_is_inactive(
    client, make_user
):
    inactive = make_user(is_active=False)

    response = client.post(
        LOGIN, json={"username": inactive.username, "password": inactive.password}
    )

    assert_problem(response, 403, "account_inactive")


def test_deactivated_user_with_a_wrong_password_learns_nothing_more(client, make_user):
    inactive = make_user(is_active=False)

    response = client.post(
        LOGIN, json={"username": inactive.username, "password": "not-the-password"}
    )

    assert_problem(response, 401, "invalid_credentials")


@pytest.mark.parametrize("password", ["!", "x", "anything-at-all"])
def test_system_account_cannot_sign_in(client, password):
    response = client.post(LOGIN, json={"username": "mlapi-system", "password": password})

    assert_problem(response, 401, "invalid_credentials")


@pytest.mark.parametrize(
    "body",
    [
        {"password": "whatever-pass"},
        {"username": "alice", "email": "alice@example.com", "password": "whatever-pass"},
        {"username": "", "password": "whatever-pass"},
        {"username": "alice"},
        {"username": "alice", "password": "p" * 129},
    ],
    ids=["no-identifier", "both-identifiers", "empty-username", "no-password", "password-too-long"],
)
def test_malformed_login_is_a_validation_error(client, body):
    assert_problem(client.post(LOGIN, json=body), 422, "validation_error")
