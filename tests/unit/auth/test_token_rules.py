"""Token rules pinned to the letter: what a token carries, when a cached token is judged
again, which credential a request may send, and whose budget it spends
(mlapi/auth/tokens.py, verified_tokens.py, credentials.py).

Written to kill mutants that survived ``tox -e mutation``.
"""

import time
from datetime import timedelta

import jwt
import pytest
from flask_jwt_extended import create_access_token, decode_token

from mlapi.auth import verified_tokens
from mlapi.auth.tokens import access_lifetime_seconds, login_id_of
from tests.support.users import bearer
from tests.unit.helpers import assert_problem

ME = "/api/v1/users/me"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
KEYS = "/api/v1/auth/api-keys"
NOW = 1_800_000_000.0


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
def api_key(client, auth_headers) -> dict:
    response = client.post(KEYS, json={"name": "job"}, headers=auth_headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- what a token carries ---


def test_the_pair_of_one_sign_in_shares_its_login_id_and_names_its_user(tokens, user):
    access, refresh = claims_of(tokens.access), claims_of(tokens.refresh)

    assert access["sub"] == refresh["sub"] == str(user.id)
    assert (access["type"], refresh["type"]) == ("access", "refresh")
    login, _, suffix = access["jti"].partition(".")
    assert len(login) == 32
    assert len(suffix) == 8
    assert refresh["jti"] == f"{login}.refresh"


def test_each_sign_in_and_each_refresh_gets_its_own_token(client, user, sign_in):
    first, second = sign_in(user), sign_in(user)
    refreshed = client.post(REFRESH, headers=bearer(first.refresh)).get_json()["access_token"]

    assert login_id_of(claims_of(first.access)["jti"]) != login_id_of(
        claims_of(second.access)["jti"]
    )
    assert claims_of(refreshed)["jti"] != claims_of(first.access)["jti"]
    assert login_id_of(claims_of(refreshed)["jti"]) == login_id_of(claims_of(first.access)["jti"])


@pytest.mark.parametrize(
    ("jti", "login"),
    [("abc.refresh", "abc"), ("abc.12.34", "abc"), ("abc", "abc"), ("", ""), (None, "")],
)
def test_the_login_id_is_the_part_before_the_first_dot(jti, login):
    assert login_id_of(jti) == login


def test_expires_in_is_the_configured_access_lifetime(app, client, user):
    response = client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": user.password}
    )

    with app.app_context():
        assert access_lifetime_seconds() == int(
            app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()
        )
    body = response.get_json()
    assert body["expires_in"] == access_lifetime_seconds()
    assert (
        claims_of(body["access_token"])["exp"] - claims_of(body["access_token"])["iat"]
        == body["expires_in"]
    )


def test_two_signed_in_users_are_each_themselves(client, make_user, sign_in):
    alice, bob = make_user(), make_user()
    alice_headers, bob_headers = sign_in(alice).headers, sign_in(bob).headers

    for user, headers in [(alice, alice_headers), (bob, bob_headers), (alice, alice_headers)]:
        assert client.get(ME, headers=headers).get_json()["id"] == user.id


def forged(app, user_id: int, **claims) -> dict:
    """Headers with a correctly signed token of these claims (``None`` drops a claim)."""
    now = int(time.time())
    base = {
        "sub": str(user_id),
        "jti": "login.x",
        "type": "access",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "fresh": False,
    }
    payload = {k: v for k, v in {**base, **claims}.items() if v is not None}
    return bearer(jwt.encode(payload, app.config["JWT_SECRET_KEY"], algorithm="HS256"))


@pytest.mark.parametrize(
    "claims",
    [
        {"jti": ".x"},
        {"jti": ".a.b"},
        {"jti": ""},
        {"jti": 123},
        {"jti": None},
        {"sub": None},
        {"exp": None},
        {"type": None},
        {"type": "session"},
    ],
    ids=[
        "empty-login",
        "empty-login-two-dots",
        "empty",
        "number",
        "no-jti",
        "no-sub",
        "no-exp",
        "no-type",
        "unknown-type",
    ],
)
def test_a_signed_token_missing_what_a_sign_in_puts_in_it_is_invalid(app, client, user, claims):
    response = client.get(ME, headers=forged(app, user.id, **claims))

    assert_problem(response, 401, "token_invalid")


def test_a_signed_token_with_every_claim_is_accepted(app, client, user):
    assert client.get(ME, headers=forged(app, user.id)).status_code == 200


def test_an_expired_token_can_still_be_read_when_asked_to(app, user):
    with app.app_context():
        token = create_access_token(identity=str(user.id), expires_delta=timedelta(seconds=-5))
        claims = decode_token(token, allow_expired=True)

    assert claims["sub"] == str(user.id)
    assert claims["type"] == "access"


def test_an_expired_token_read_when_asked_to_still_needs_its_claims(app, user):
    with app.app_context():
        token = jwt.encode(
            {"sub": str(user.id), "type": "access", "exp": int(time.time()) - 5},
            app.config["JWT_SECRET_KEY"],
            algorithm="HS256",
        )
        with pytest.raises(jwt.MissingRequiredClaimError):
            decode_token(token, allow_expired=True)


# --- when a verified token is judged again ---


@pytest.mark.parametrize(
    ("claims", "leeway", "in_time"),
    [
        ({}, 0, True),
        ({"exp": NOW + 1}, 0, True),
        ({"exp": NOW}, 0, False),  # PyJWT refuses exp <= now
        ({"exp": NOW - 5}, 10, True),
        ({"exp": NOW - 10}, 10, False),
        ({"exp": NOW - 5}, timedelta(seconds=10), True),
        ({"exp": NOW - 10}, timedelta(seconds=10), False),
        ({"nbf": NOW}, 0, True),
        ({"nbf": NOW + 1}, 0, False),  # a clock stepped back before the token's start
        ({"nbf": NOW + 5}, 10, True),
        ({"nbf": NOW + 5}, timedelta(seconds=2), False),
        ({"nbf": NOW - 60, "exp": NOW + 60}, 0, True),
    ],
)
def test_a_cached_token_is_in_time_exactly_when_pyjwt_would_accept_it(
    monkeypatch, claims, leeway, in_time
):
    monkeypatch.setattr(verified_tokens.time, "time", lambda: NOW)

    assert verified_tokens._in_time(claims, leeway) is in_time


# --- which credential a request may send ---


def test_a_key_and_a_bearer_token_together_are_refused(client, auth_headers, api_key):
    response = client.get(ME, headers={**auth_headers, "X-API-Key": api_key["key"]})

    body = assert_problem(response, 401, "token_invalid")
    assert body["detail"] == "Send one credential, a bearer token or an API key, not both."


@pytest.mark.parametrize(
    ("method", "path"), [("post", REFRESH), ("post", LOGOUT), ("get", KEYS), ("post", KEYS)]
)
def test_an_api_key_cannot_manage_sessions_or_keys(client, api_key, method, path):
    kwargs = {"json": {"name": "more"}} if method == "post" and path == KEYS else {}

    response = getattr(client, method)(path, headers={"X-API-Key": api_key["key"]}, **kwargs)

    assert assert_problem(response, 403, "forbidden")["detail"] == (
        "API keys cannot manage sessions or keys: sign in and send "
        "'Authorization: Bearer <access token>' instead."
    )


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_name_is_read_in_any_case(client, user, tokens, scheme):
    response = client.get(ME, headers={"Authorization": f"{scheme} {tokens.access}"})

    assert response.status_code == 200
    assert response.get_json()["id"] == user.id


def test_a_refresh_token_is_read_with_the_scheme_name_in_any_case(client, tokens):
    response = client.post(REFRESH, headers={"Authorization": f"bearer {tokens.refresh}"})

    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("header", ["Basic {token}", "Bearer{token}", "{token}"])
def test_another_scheme_or_no_scheme_is_not_a_bearer_token(client, tokens, header):
    response = client.get(ME, headers={"Authorization": header.format(token=tokens.access)})

    assert response.status_code == 401


def test_an_api_key_acts_for_its_owner(client, user, api_key):
    response = client.get(ME, headers={"X-API-Key": api_key["key"]})

    assert response.status_code == 200
    assert response.get_json()["id"] == user.id


# --- whose budget a request spends ---
