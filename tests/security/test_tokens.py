"""JWT attacks a hostile client can mount, one table row each (OWASP API2).

tests/unit/auth/test_tokens.py already covers a changed payload, another HS256 key,
``alg: none``, malformed strings, expiry of an access token, refresh/access swaps and
logout; this table covers the rest: algorithm confusion (RS256, HS512, ``None``), tokens
signed with the server's own secret but not-yet-valid or missing a claim the server relies
on (``sub``, ``jti``, ``exp``, ``type``), and expiry/revocation where the unit tests do not
look. Every row is refused with 401 and the code docs/api.md documents.
"""

import hashlib
import hmac
import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask_jwt_extended import create_refresh_token

from tests.support.users import bearer
from tests.unit.auth.test_tokens import LOGOUT, ME, REFRESH, b64, claims_of
from tests.unit.helpers import ROW, assert_problem

_ATTACKER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_PRIVATE_PEM = _ATTACKER_RSA.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
ATTACKER_PUBLIC_PEM = _ATTACKER_RSA.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def hmac_signed(header: dict, claims: dict, key: bytes, digest=hashlib.sha256) -> str:
    """A token with any header, HMAC-signed with any key: PyJWT refuses to sign ``RS256``
    with an HMAC key, or HMAC with a PEM public key, which is exactly the attack."""
    signing_input = f"{b64(header)}.{b64(claims)}"
    signature = hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{jwt.utils.base64url_encode(signature).decode()}"


def without(claims: dict, name: str) -> dict:
    return {key: value for key, value in claims.items() if key != name}


# name -> build(claims of a genuine access token, the server's secret) -> forged token
FORGERIES = {
    "rs256 signed with an attacker's private key": lambda c, s: jwt.encode(
        c, ATTACKER_PRIVATE_PEM, algorithm="RS256"
    ),
    "header says rs256, hmac-signed with the server secret": lambda c, s: hmac_signed(
        {"alg": "RS256", "typ": "JWT"}, c, s
    ),
    "hs256 keyed with an rsa public key (rs/hs confusion)": lambda c, s: hmac_signed(
        {"alg": "HS256", "typ": "JWT"}, c, ATTACKER_PUBLIC_PEM
    ),
    "hs512 with the server secret (algorithm not allowed)": lambda c, s: hmac_signed(
        {"alg": "HS512", "typ": "JWT"}, c, s, hashlib.sha512
    ),
    "alg None (capitalised), unsigned": lambda c, s: (
        f"{b64({'alg': 'None', 'typ': 'JWT'})}.{b64(c)}."
    ),
    "not yet valid (nbf an hour ahead)": lambda c, s: jwt.encode(
        {**c, "nbf": int(time.time()) + 3600}, s, algorithm="HS256"
    ),
    "expired and signed with another key reads as invalid, not expired": lambda c, s: jwt.encode(
        {**c, "exp": int(time.time()) - 60}, b"x" * 32, algorithm="HS256"
    ),
    "missing sub": lambda c, s: jwt.encode(without(c, "sub"), s, algorithm="HS256"),
    "missing jti": lambda c, s: jwt.encode(without(c, "jti"), s, algorithm="HS256"),
    "missing exp": lambda c, s: jwt.encode(without(c, "exp"), s, algorithm="HS256"),
    "missing type": lambda c, s: jwt.encode(without(c, "type"), s, algorithm="HS256"),
    "unknown type": lambda c, s: jwt.encode({**c, "type": "admin"}, s, algorithm="HS256"),
    "sub not a user id": lambda c, s: jwt.encode({**c, "sub": "admin"}, s, algorithm="HS256"),
    "jti of no login": lambda c, s: jwt.encode({**c, "jti": ""}, s, algorithm="HS256"),
}

# Protected endpoints of different kinds: a read, a computation, account management.
ENDPOINTS = [
    ("get", ME, None),
    ("post", "/api/v1/predict", {"features": ROW}),
    ("get", "/api/v1/auth/api-keys", None),
]


def secret_of(app) -> bytes:
    return app.config["JWT_SECRET_KEY"].encode()


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=lambda v: str(v)[:24])
def test_a_forged_access_token_is_refused_as_invalid(
    app, client, tokens, forge, method, path, body
):
    """A token the server did not issue as is, or that lacks what the server relies on,
    never authenticates anyone."""
    forged = forge(claims_of(tokens.access), secret_of(app))

    response = getattr(client, method)(path, json=body, headers=bearer(forged))

    assert_problem(response, 401, "token_invalid")


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_refresh_token_mints_no_access_token(app, client, tokens, forge):
    """The refresh endpoint is the one that mints tokens: the same forgeries fail there."""
    forged = forge(claims_of(tokens.refresh), secret_of(app))

    assert_problem(client.post(REFRESH, headers=bearer(forged)), 401, "token_invalid")


def test_the_genuine_tokens_of_the_table_work(app, client, tokens):
    """Control row: the claims the forgeries start from, signed properly, are accepted, so
    each refusal above is due to the one thing the row changed."""
    resigned = jwt.encode(claims_of(tokens.access), secret_of(app), algorithm="HS256")

    assert client.get(ME, headers=bearer(resigned)).status_code == 200
    assert client.post(REFRESH, headers=bearer(tokens.refresh)).status_code == 200


def test_an_expired_refresh_token_says_it_expired(app, client, user):
    """A refresh token past its 30 days gets ``token_expired`` (sign in again), not a new
    access token."""
    with app.app_context():
        token = create_refresh_token(
            identity=str(user.id),
            expires_delta=timedelta(seconds=-1),
            additional_claims={"jti": "expired-login.refresh"},
        )

    body = assert_problem(client.post(REFRESH, headers=bearer(token)), 401, "token_expired")
    assert "expired" in body["detail"]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=lambda v: str(v)[:24])
def test_a_logged_out_access_token_is_revoked_everywhere(client, tokens, method, path, body):
    """Logout ends the login on every endpoint, not only on the profile."""
    assert client.post(LOGOUT, headers=tokens.headers).status_code == 204

    response = getattr(client, method)(path, json=body, headers=tokens.headers)

    assert_problem(response, 401, "token_revoked")


def test_a_revoked_token_resigned_with_a_new_expiry_stays_revoked(app, client, tokens):
    """Revocation follows the login (``jti``), not the token string: a holder of the secret
    extending a logged-out token gains nothing."""
    client.post(LOGOUT, headers=tokens.headers)
    extended = jwt.encode(
        {**claims_of(tokens.access), "exp": int(time.time()) + 3600},
        secret_of(app),
        algorithm="HS256",
    )

    assert_problem(client.get(ME, headers=bearer(extended)), 401, "token_revoked")
