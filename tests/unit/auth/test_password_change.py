"""Changing the password (POST /api/v1/auth/password): every other sign-in ends on the spot,
the one it was made from and the user's API keys go on."""

from dataclasses import replace

import pytest

from tests.contract_client import session_secrets
from tests.support.settings import TEST_PASSWORD
from tests.support.users import bearer
from tests.unit.helpers import assert_problem

PASSWORD = "/api/v1/auth/password"
LOGOUT_ALL = "/api/v1/auth/logout-all"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/users/me"
KEYS = "/api/v1/auth/api-keys"
NEW_PASSWORD = "plum-orchard-lantern-47"
NEWER_PASSWORD = "quartz-meadow-ferry-82"
session_secrets.add(NEW_PASSWORD)
session_secrets.add(NEWER_PASSWORD)


def change(client, tokens, current=TEST_PASSWORD, new=NEW_PASSWORD, **headers):
    return client.post(
        PASSWORD,
        json={"current_password": current, "new_password": new},
        headers={**tokens.headers, **headers},
    )


def works(client, tokens) -> bool:
    """Whether both tokens of the sign-in still work: the access token and a refresh."""
    profile = client.get(ME, headers=tokens.headers)
    renewed = client.post(REFRESH, headers=bearer(tokens.refresh))
    assert profile.status_code == renewed.status_code, (profile.json, renewed.json)
    if profile.status_code == 200:
        return bool(client.get(ME, headers=bearer(renewed.json["access_token"])).status_code == 200)
    assert_problem(profile, 401, "token_revoked")
    assert_problem(renewed, 401, "token_revoked")
    return False


def login(client, user, password: str):
    return client.post(LOGIN, json={"username": user.username, "password": password})


def test_a_change_answers_204_with_no_body(client, tokens):
    response = change(client, tokens)

    assert response.status_code == 204
    assert response.data == b""


def test_every_other_sign_in_ends_and_this_one_goes_on(client, user, sign_in):
    laptop, phone = sign_in(user), sign_in(user)
    assert works(client, laptop)  # now in the verified-token cache: the lean path judges it

    assert change(client, phone).status_code == 204

    assert not works(client, laptop)
    assert works(client, phone)
    body = assert_problem(client.get(ME, headers=laptop.headers), 401, "token_revoked")
    assert "password change" in body["detail"]


def test_api_keys_keep_working(client, tokens):
    key = client.post(KEYS, json={"name": "nightly"}, headers=tokens.headers).json["key"]

    change(client, tokens)

    assert client.get(ME, headers={"X-API-Key": key}).status_code == 200


def test_the_old_password_no_longer_signs_in_and_the_new_one_does(client, user, tokens):
    change(client, tokens)

    assert_problem(login(client, user, TEST_PASSWORD), 401, "invalid_credentials")
    assert login(client, user, NEW_PASSWORD).status_code == 200


def test_a_second_change_from_the_same_sign_in_keeps_it(client, user, sign_in):
    phone, laptop = sign_in(user), sign_in(user)
    change(client, phone)
    later = sign_in(replace(user, password=NEW_PASSWORD))

    assert change(client, phone, NEW_PASSWORD, NEWER_PASSWORD).status_code == 204

    assert works(client, phone)
    assert not works(client, later)
    assert not works(client, laptop)


def test_a_change_from_another_sign_in_ends_the_one_that_changed_before(client, user, sign_in):
    first, second = sign_in(user), sign_in(user)
    change(client, first)
    assert not works(client, second)
    second = sign_in(replace(user, password=NEW_PASSWORD))

    assert change(client, second, NEW_PASSWORD, NEWER_PASSWORD).status_code == 204

    assert not works(client, first)
    assert works(client, second)


def test_a_sign_in_after_the_change_keeps_working(client, user, tokens, sign_in):
    change(client, tokens)

    fresh = sign_in(replace(user, password=NEW_PASSWORD))

    assert works(client, fresh)
    assert works(client, tokens)


def test_a_deactivation_ends_the_kept_sign_in_too(app, client, admin_headers, user, tokens):
    change(client, tokens)

    for active in (False, True):
        patched = client.patch(
            f"/api/v1/admin/users/{user.id}", json={"is_active": active}, headers=admin_headers
        )
        assert patched.status_code == 200, patched.json

    assert not works(client, tokens)


def test_a_wrong_current_password_is_refused_on_that_field(client, user, tokens):
    response = change(client, tokens, current="not-the-password")

    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]) == ["current_password"]
    assert works(client, tokens)  # nothing changed: the token was fine
    assert login(client, user, TEST_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"new_password": NEW_PASSWORD}, "current_password"),
        ({"current_password": TEST_PASSWORD}, "new_password"),
        ({"current_password": TEST_PASSWORD, "new_password": "short"}, "new_password"),
        ({"current_password": TEST_PASSWORD, "new_password": "x" * 129}, "new_password"),
        ({"current_password": TEST_PASSWORD, "new_password": TEST_PASSWORD}, "new_password"),
        (
            {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "role": "admin"},
            "role",
        ),
    ],
    ids=["no current", "no new", "new too short", "new too long", "new equals current", "unknown"],
)
def test_an_invalid_body_is_refused_naming_the_field(client, user, tokens, body, field):
    response = client.post(PASSWORD, json=body, headers=tokens.headers)

    body = assert_problem(response, 422, "validation_error")
    assert field in body["errors"], body["errors"]
    assert login(client, user, TEST_PASSWORD).status_code == 200


def test_an_api_key_cannot_change_the_password(client, user, tokens):
    key = client.post(KEYS, json={"name": "nightly"}, headers=tokens.headers).json["key"]

    response = client.post(
        PASSWORD,
        json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
        headers={"X-API-Key": key},
    )

    assert_problem(response, 403, "forbidden")
    assert login(client, user, TEST_PASSWORD).status_code == 200


def test_a_refresh_token_cannot_change_the_password(client, tokens):
    response = client.post(
        PASSWORD,
        json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(tokens.refresh),
    )

    assert_problem(response, 401, "token_invalid")


def test_wrong_current_passwords_spend_the_accounts_sign_in_budget(configured_app, request):
    configured_app(RATELIMIT_LOGIN_ACCOUNT="2/minute")
    client, user = request.getfixturevalue("client"), request.getfixturevalue("user")
    tokens = request.getfixturevalue("sign_in")(user)

    for guess in ("guess-one-1", "guess-two-2"):
        assert_problem(change(client, tokens, current=guess), 422, "validation_error")
    refused = change(client, tokens)  # the right password too, once the budget is spent

    assert_problem(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) > 0
    client.delete_cookie("mlapi_device", path="/api/v1/auth")  # from a device not yet known
    assert_problem(login(client, user, TEST_PASSWORD), 429, "rate_limited")  # one budget
    assert works(client, tokens)


def test_a_right_current_password_spends_nothing(configured_app, request):
    configured_app(RATELIMIT_LOGIN_ACCOUNT="1/minute")
    client, user = request.getfixturevalue("client"), request.getfixturevalue("user")
    tokens = request.getfixturevalue("sign_in")(user)

    assert change(client, tokens).status_code == 204
    assert change(client, tokens, NEW_PASSWORD, NEWER_PASSWORD).status_code == 204
