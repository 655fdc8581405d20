"""Bearer tokens: which are refused and how, refresh, logout, and deactivation acting at once."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from flask_jwt_extended import create_access_token

from mlapi.auth.models import User
from mlapi.extensions import db
from tests.support.users import bearer
from tests.unit.helpers import assert_problem

ME = "/api/v1/users/me"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
OTHER_SECRET = "an-attacker-secret-that-is-at-least-32-bytes"


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def with_payload(token: str, **changes) -> str:
    """The same header and signature over a changed payload."""
    header, _payload, signature = token.split(".")
    return ".".join([header, b64({**claims_of(token), **changes}), signature])


def set_active(app, user_id: int, active: bool) -> None:
    with app.app_context():
        db.session.get(User, user_id).is_active = active
        db.session.commit()


def test_profile_of_the_signed_in_user(client, user, auth_headers):
    response = client.get(ME, headers=auth_headers)

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"id", "username", "email", "full_name", "role", "is_active", "created_at"}
    assert (body["id"], body["username"], body["email"]) == (user.id, user.username, user.email)


def test_no_credentials_is_unauthorized(client):
    assert_problem(client.get(ME), 401, "unauthorized")


def test_expired_access_token_says_it_expired(app, client, user):
    with app.app_context():
        token = create_access_token(identity=str(user.id), expires_delta=timedelta(seconds=-1))

    body = assert_problem(client.get(ME, headers=bearer(token)), 401, "token_expired")
    assert "expired" in body["detail"]


def test_token_with_a_changed_payload_is_invalid(client, make_user, tokens):
    other = make_user()
    forged = with_payload(tokens.access, sub=str(other.id))

    assert_problem(client.get(ME, headers=bearer(forged)), 401, "token_invalid")


def test_token_signed_with_another_key_is_invalid(client, tokens):
    forged = jwt.encode(claims_of(tokens.access), OTHER_SECRET, algorithm="HS256")

    assert_problem(client.get(ME, headers=bearer(forged)), 401, "token_invalid")


def test_unsigned_alg_none_token_is_invalid(client, tokens):
    forged = jwt.encode(claims_of(tokens.access), None, algorithm="none")

    assert_problem(client.get(ME, headers=bearer(forged)), 401, "token_invalid")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer garbage",
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30",
        "Bearer ",
        "Bearer two tokens",
    ],
)
def test_malformed_token_is_invalid(client, header):
    assert_problem(client.get(ME, headers={"Authorization": header}), 401, "token_invalid")


def test_refresh_token_used_as_access_token_is_invalid(client, tokens):
    assert_problem(client.get(ME, headers=bearer(tokens.refresh)), 401, "token_invalid")


def test_access_token_used_to_refresh_is_invalid(client, tokens):
    assert_problem(client.post(REFRESH, headers=tokens.headers), 401, "token_invalid")


def test_refresh_gives_a_new_working_access_token(client, user, tokens):
    response = client.post(REFRESH, headers=bearer(tokens.refresh))

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["access_token"] != tokens.access
    me = client.get(ME, headers=bearer(body["access_token"]))
    assert me.get_json()["id"] == user.id


def test_logout_answers_204_with_no_body(client, tokens):
    response = client.post(LOGOUT, headers=tokens.headers)

    assert response.status_code == 204
    assert response.data == b""


def test_logout_revokes_the_access_and_refresh_tokens_of_that_login(client, tokens):
    client.post(LOGOUT, headers=tokens.headers)

    assert_problem(client.get(ME, headers=tokens.headers), 401, "token_revoked")
    assert_problem(client.post(REFRESH, headers=bearer(tokens.refresh)), 401, "token_revoked")


def test_logout_revokes_access_tokens_refreshed_within_that_login(client, tokens):
    refreshed = client.post(REFRESH, headers=bearer(tokens.refresh)).get_json()["access_token"]

    client.post(LOGOUT, headers=tokens.headers)

    assert_problem(client.get(ME, headers=bearer(refreshed)), 401, "token_revoked")


def test_logout_leaves_other_logins_of_the_same_user_working(client, user, sign_in):
    laptop, phone = sign_in(user), sign_in(user)

    client.post(LOGOUT, headers=laptop.headers)

    assert client.get(ME, headers=phone.headers).status_code == 200
    assert client.post(REFRESH, headers=bearer(phone.refresh)).status_code == 200


def test_logout_needs_the_access_token_not_the_refresh_token(client, tokens):
    assert_problem(client.post(LOGOUT, headers=bearer(tokens.refresh)), 401, "token_invalid")
    assert client.get(ME, headers=tokens.headers).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "token"),
    [
        ("get", ME, "access"),
        ("post", "/api/v1/predict", "access"),
        ("post", REFRESH, "refresh"),
    ],
)
def test_deactivated_user_is_refused_on_the_very_next_request(
    app, client, user, tokens, method, path, token
):
    set_active(app, user.id, False)

    response = getattr(client, method)(path, headers=bearer(getattr(tokens, token)))

    assert_problem(response, 401, "account_inactive")


def test_tokens_issued_before_a_deactivation_stay_revoked_after_reactivation(
    app, client, user, auth_headers, sign_in
):
    set_active(app, user.id, False)
    assert_problem(client.get(ME, headers=auth_headers), 401, "account_inactive")

    set_active(app, user.id, True)

    assert_problem(client.get(ME, headers=auth_headers), 401, "token_revoked")
    assert client.get(ME, headers=sign_in(user).headers).status_code == 200


def test_token_of_a_deleted_account_is_invalid(app, client, user, auth_headers):
    with app.app_context():
        db.session.delete(db.session.get(User, user.id))
        db.session.commit()

    assert_problem(client.get(ME, headers=auth_headers), 401, "token_invalid")
