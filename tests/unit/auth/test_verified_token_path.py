"""The lean path for a token whose signature was checked before
(``VerifiedTokenJWTManager.holder_of_verified_token``) answers every request as
flask-jwt-extended's full path does: each test runs on both paths (``path``), the full one
by turning the lean one off."""

import pytest
from flask import g
from flask_jwt_extended import get_current_user, get_jwt, get_jwt_identity, verify_jwt_in_request

from mlapi.auth import credentials
from mlapi.auth.models import User
from mlapi.auth.verified_tokens import jwt
from mlapi.errors import problem
from mlapi.extensions import db
from tests.support.users import bearer
from tests.unit.auth.test_tokens import LOGOUT, ME, REFRESH, set_active
from tests.unit.helpers import assert_problem

JWT_FIELDS = (
    "_jwt_extended_jwt_user",
    "_jwt_extended_jwt_header",
    "_jwt_extended_jwt",
    "_jwt_extended_jwt_location",
)


@pytest.fixture(params=["lean", "full"])
def path(request, monkeypatch) -> str:
    if request.param == "full":
        monkeypatch.setattr(jwt, "holder_of_verified_token", lambda refresh: None)
    return request.param


@pytest.fixture
def known(client, tokens):
    """The sign-in's tokens, each used once, so both are in the verified-token cache."""
    assert client.get(ME, headers=tokens.headers).status_code == 200
    assert client.post(REFRESH, headers=bearer(tokens.refresh)).status_code == 200
    return tokens


def test_a_known_token_skips_flask_jwt_extended(client, user, known, monkeypatch):
    def refuse(**_kwargs):
        raise AssertionError("the full path ran")

    monkeypatch.setattr(credentials, "verify_jwt_in_request", refuse)

    assert client.get(ME, headers=known.headers).get_json()["id"] == user.id
    assert client.post(REFRESH, headers=bearer(known.refresh)).status_code == 200


@pytest.mark.parametrize("refresh", [False, True], ids=["access", "refresh"])
def test_both_paths_leave_the_same_request_state(app, known, refresh):
    token = known.refresh if refresh else known.access
    seen = {}
    for name, verify in [
        ("lean", jwt.holder_of_verified_token),
        ("full", lambda refresh: verify_jwt_in_request(refresh=refresh)),
    ]:
        with app.test_request_context(ME, headers=bearer(token)):
            verify(refresh=refresh)
            seen[name] = (
                [getattr(g, field) for field in JWT_FIELDS],
                get_jwt(),
                get_jwt_identity(),
                get_current_user().id,
            )

    assert seen["lean"] == seen["full"]
    assert seen["lean"][0][0]["loaded_user"].id == seen["lean"][3]


@pytest.mark.parametrize(
    "header", ["Bearer {}", "bearer {}", "BEARER {}", "Bearer  {}", "Bearer {}, Basic eA=="]
)
def test_a_known_token_is_accepted(client, user, known, path, header):
    response = client.get(ME, headers={"Authorization": header.format(known.access)})

    assert response.get_json()["id"] == user.id


@pytest.mark.parametrize(
    "header", ["Basic {}", "{}", "Bearer{}", "Token {}", "Bearer {} x", "Bearer {}, Bearer {}"]
)
def test_a_known_token_in_another_scheme_is_unauthorized_or_invalid(client, known, path, header):
    response = client.get(ME, headers={"Authorization": header.format(known.access, known.access)})

    assert response.status_code == 401
    assert response.get_json()["code"] in {"unauthorized", "token_invalid"}


def test_a_known_refresh_token_refreshes(client, known, path):
    response = client.post(REFRESH, headers=bearer(known.refresh))

    assert response.status_code == 200
    assert client.get(ME, headers=bearer(response.get_json()["access_token"])).status_code == 200


def test_a_known_token_of_the_wrong_type_is_invalid(client, known, path):
    assert_problem(client.post(REFRESH, headers=known.headers), 401, "token_invalid")
    assert_problem(client.get(ME, headers=bearer(known.refresh)), 401, "token_invalid")


def test_a_known_token_logs_out_and_is_then_revoked(client, known, path):
    assert client.post(LOGOUT, headers=known.headers).status_code == 204

    assert_problem(client.get(ME, headers=known.headers), 401, "token_revoked")
    assert_problem(client.post(REFRESH, headers=bearer(known.refresh)), 401, "token_revoked")


def test_a_known_token_of_a_deactivated_account_is_refused(app, client, user, known, path):
    set_active(app, user.id, False)

    assert_problem(client.get(ME, headers=known.headers), 401, "account_inactive")


def test_a_known_token_of_a_deleted_account_is_invalid(app, client, user, known, path):
    with app.app_context():
        db.session.delete(db.session.get(User, user.id))
        db.session.commit()

    body = assert_problem(client.get(ME, headers=known.headers), 401, "token_invalid")
    assert body["detail"] == "The token's account no longer exists."


def test_a_claims_check_that_fails_refuses_a_known_token(client, known, path, monkeypatch):
    """mlapi registers no claims check; were one added, the lean path would still run it."""
    monkeypatch.setattr(jwt, "_token_verification_callback", lambda _header, _claims: False)
    monkeypatch.setattr(
        jwt,
        "_token_verification_failed_callback",
        lambda _header, _claims: problem(
            401, "token_invalid", "The claims check refused the token."
        ),
    )

    body = assert_problem(client.get(ME, headers=known.headers), 401, "token_invalid")
    assert body["detail"] == "The claims check refused the token."
