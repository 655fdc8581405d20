"""JWTs that carry only who (``sub``), which sign-in (``jti``) and the session generation
(``gen``) (docs/decisions.md#accounts-and-tokens; ``gen``: docs/decisions.md#admin).

Role and active flag are never read from a token: ``load_caller`` reads them per request.
"""

import secrets
import uuid

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token

from ..access_cache import access_cache
from ..errors import TokenInvalid, Unauthorized, problem
from .credentials import active_user
from .models import User
from .state import auth_state
from .verified_tokens import jwt

REFRESH_SUFFIX = "refresh"
GENERATION_CLAIM = "gen"


def new_login_id() -> str:
    return uuid.uuid4().hex


def login_id_of(jti: str | None) -> str:
    return (jti or "").split(".", 1)[0]


def access_token_for(user_id: int, login_id: str, generation: int) -> str:
    return create_access_token(
        identity=str(user_id),
        additional_claims={
            "jti": f"{login_id}.{secrets.token_hex(4)}",
            GENERATION_CLAIM: generation,
        },
    )


def refresh_token_for(user_id: int, login_id: str, generation: int) -> str:
    return create_refresh_token(
        identity=str(user_id),
        additional_claims={"jti": f"{login_id}.{REFRESH_SUFFIX}", GENERATION_CLAIM: generation},
    )


def generation_of(payload: dict) -> int | None:
    """The token's session generation, or None when the claim is not a number."""
    generation = payload.get(GENERATION_CLAIM, 0)
    if isinstance(generation, bool) or not isinstance(generation, int):
        return None
    return generation


def access_lifetime_seconds() -> int:
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


@jwt.token_in_blocklist_loader
def _is_revoked(_header, payload) -> bool:
    """Revoked by a logout, or issued before the user's last deactivation, logout
    everywhere or password change, unless it belongs to the sign-in the last password
    change was made from (``User.kept_login_id``). While the user is inactive,
    ``active_user`` answers 401 ``account_inactive`` instead."""
    login_id = login_id_of(payload["jti"])
    if access_cache().cached(
        "revoked", login_id, lambda: auth_state().revocations.is_revoked(login_id)
    ):
        return True
    user = _subject(payload)
    if user is None:
        return False  # the user lookup answers: the account no longer exists
    generation = generation_of(payload)
    if generation is None:
        return True
    return generation < user.session_generation and login_id != user.kept_login_id


def _subject(payload) -> User | None:
    subject = payload.get("sub")
    if not isinstance(subject, str) or not subject.isdecimal():
        return None
    return active_user(int(subject))


@jwt.user_lookup_loader
def load_caller(_header, payload) -> User | None:
    return _subject(payload)


@jwt.expired_token_loader
def _expired(_header, _payload):
    return problem(401, "token_expired", "The token has expired; refresh it or sign in again.")


@jwt.invalid_token_loader
def _invalid(_reason):
    return problem(401, TokenInvalid.code, TokenInvalid.detail)


@jwt.user_lookup_error_loader
def _unknown_user(_header, _payload):
    return problem(401, TokenInvalid.code, "The token's account no longer exists.")


@jwt.unauthorized_loader
def _missing(_reason):
    return problem(
        401,
        Unauthorized.code,
        "Credentials are required: send 'Authorization: Bearer <access token>' "
        "or 'X-API-Key: <key>'.",
    )


@jwt.revoked_token_loader
def _revoked(_header, _payload):
    return problem(
        401,
        "token_revoked",
        "The token was revoked (by a logout, a logout everywhere, a password change made "
        "in another session, or a deactivation); sign in again.",
    )
