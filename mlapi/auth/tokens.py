"""JWTs that carry only who (``sub``) and which sign-in (``jti``).

``jti`` is ``<login id>.<suffix>``: the access and refresh tokens of one sign-in share the
login id, so logout revokes both at once while other sign-ins of the user keep working.
Role and active flag are never read from a token: ``load_caller`` reads them from the
database on every request, so a change acts on the very next one.
"""

import secrets
import uuid

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token

from ..access_cache import access_cache
from ..errors import AccountInactive, TokenInvalid, Unauthorized, problem
from ..extensions import db, jwt
from ..runtime import runtime
from .models import User

REFRESH_SUFFIX = "refresh"


def new_login_id() -> str:
    return uuid.uuid4().hex


def login_id_of(jti: str | None) -> str:
    return (jti or "").split(".", 1)[0]


def access_token_for(user_id: int, login_id: str) -> str:
    return create_access_token(identity=str(user_id),
                               additional_claims={"jti": f"{login_id}.{secrets.token_hex(4)}"})


def refresh_token_for(user_id: int, login_id: str) -> str:
    return create_refresh_token(identity=str(user_id),
                                additional_claims={"jti": f"{login_id}.{REFRESH_SUFFIX}"})


def access_lifetime_seconds() -> int:
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


@jwt.token_in_blocklist_loader
def _is_revoked(_header, payload) -> bool:
    login_id = login_id_of(payload["jti"])
    return access_cache().cached("revoked", login_id,
                                 lambda: runtime().revocations.is_revoked(login_id))


def active_user(user_id: int) -> User | None:
    """The user with this id (a detached, read-only snapshot from the access cache), or
    None when there is none; 401 ``account_inactive`` when deactivated."""
    user = access_cache().cached("users", user_id, lambda: db.session.get(User, user_id))
    if user is not None and not user.is_active:
        raise AccountInactive()
    return user


@jwt.user_lookup_loader
def load_caller(_header, payload) -> User | None:
    subject = payload.get("sub")
    if not isinstance(subject, str) or not subject.isdecimal():
        return None
    return active_user(int(subject))


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
    return problem(401, Unauthorized.code,
                   "Credentials are required: send 'Authorization: Bearer <access token>' "
                   "or 'X-API-Key: <key>'.")


@jwt.revoked_token_loader
def _revoked(_header, _payload):
    return problem(401, "token_revoked", "The token was revoked by a logout; sign in again.")
