"""Deactivation revokes every sign-in (issue 14, item 11).

While inactive, every credential gets 401 ``account_inactive``; after reactivation the
access and refresh tokens issued before get 401 ``token_revoked``, a new sign-in works, and
the user's API keys work again (they were suspended, not deleted).
"""

import pytest

from tests.support.users import bearer
from tests.unit.helpers import assert_problem

ME = "/api/v1/users/me"
REFRESH = "/api/v1/auth/refresh"
KEYS = "/api/v1/auth/api-keys"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def bob(client, user, tokens):
    """Bob signed in, with an API key; returns (his tokens, his key headers)."""
    response = client.post(KEYS, json={"name": "nightly"}, headers=tokens.headers)
    assert response.status_code == 201, response.get_json()
    return tokens, {"X-API-Key": response.get_json()["key"]}


def set_active(client, admin_headers, user_id: int, active: bool) -> None:
    response = client.patch(
        f"/api/v1/admin/users/{user_id}", json={"is_active": active}, headers=admin_headers
    )
    assert response.status_code == 200, response.get_json()


def test_while_inactive_every_credential_is_refused(client, admin_headers, user, bob):
    tokens, key = bob
    set_active(client, admin_headers, user.id, False)

    for headers in (tokens.headers, key):
        assert_problem(client.get(ME, headers=headers), 401, "account_inactive")
    assert_problem(client.post(REFRESH, headers=bearer(tokens.refresh)), 401, "account_inactive")


def test_reactivation_does_not_bring_back_tokens_issued_before(client, admin_headers, user, bob):
    tokens, key = bob
    set_active(client, admin_headers, user.id, False)
    set_active(client, admin_headers, user.id, True)

    assert_problem(client.get(ME, headers=tokens.headers), 401, "token_revoked")
    assert_problem(client.post(REFRESH, headers=bearer(tokens.refresh)), 401, "token_revoked")

    assert client.get(ME, headers=key).status_code == 200  # the key was only suspended
    fresh = client.post(LOGIN, json={"username": user.username, "password": user.password})
    assert fresh.status_code == 200, fresh.get_json()
    new_headers = bearer(fresh.get_json()["access_token"])
    assert client.get(ME, headers=new_headers).status_code == 200
    refreshed = client.post(REFRESH, headers=bearer(fresh.get_json()["refresh_token"]))
    assert refreshed.status_code == 200, refreshed.get_json()
    assert client.get(ME, headers=bearer(refreshed.get_json()["access_token"])).status_code == 200


def test_a_token_issued_in_the_same_second_as_the_deactivation_is_revoked(
    client, admin_headers, user, bob
):
    """Revocation is by session generation, not by time: no same-second window."""
    set_active(client, admin_headers, user.id, False)
    set_active(client, admin_headers, user.id, True)
    first = client.post(LOGIN, json={"username": user.username, "password": user.password})
    set_active(client, admin_headers, user.id, False)
    set_active(client, admin_headers, user.id, True)

    assert_problem(
        client.get(ME, headers=bearer(first.get_json()["access_token"])), 401, "token_revoked"
    )


def test_other_users_keep_their_sign_ins(client, admin_headers, user, make_user, sign_in):
    other = sign_in(make_user())
    set_active(client, admin_headers, user.id, False)
    set_active(client, admin_headers, user.id, True)

    assert client.get(ME, headers=other.headers).status_code == 200
