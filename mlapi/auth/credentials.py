"""Who is calling: a bearer token or an API key, never both.

``authenticate`` runs before every protected view and leaves the caller in ``g``; views
read it as ``current_caller``. Either credential names an account, which must be active
(``active_user``, also the JWT user lookup of ``mlapi.auth.tokens``). Rate limits key on
the caller (every token and key of a user share one budget, ``mlapi.limits``).
"""

import hashlib
import hmac
from datetime import timedelta

from flask import g, request
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from sqlalchemy import select, update
from werkzeug.local import LocalProxy

from ..access_cache import access_cache
from ..errors import AccountInactive, ApiKeyInvalid, Forbidden, TokenInvalid
from ..extensions import db
from ..timeutil import utcnow
from .models import ApiKey, User
from .verified_tokens import jwt

API_KEY_HEADER = "X-API-Key"
KEY_SCHEME = "mlapi"  # a key reads mlapi_<prefix>_<secret> (mlapi.keys.service makes them)
PREFIX_HEX_DIGITS = 12
# Recording every use would write a row per request; once a minute is as useful.
LAST_USED_RESOLUTION = timedelta(minutes=1)

current_caller: User = LocalProxy(lambda: g.caller)  # type: ignore[assignment]


def authenticate(*, refresh: bool = False) -> User:
    """Check the request's credential and remember its holder.

    ``refresh`` demands a refresh token of a bearer. A key is checked like anywhere else:
    where account management needs a session, ``refuse_api_key`` refuses it (403) after
    the holder's budget is spent.
    """
    if API_KEY_HEADER in request.headers:
        if "Authorization" in request.headers:
            raise TokenInvalid("Send one credential, a bearer token or an API key, not both.")
        key, owner = verify_key(request.headers[API_KEY_HEADER])
        g.caller, g.api_key_id = owner, key.id
    else:
        g.caller, g.api_key_id = _token_holder(refresh), None
    return g.caller


def _token_holder(refresh: bool) -> User:
    """A token whose signature was checked before takes the lean path; any other, and
    every refusal, flask-jwt-extended's own."""
    user = jwt.holder_of_verified_token(refresh)
    if user is None:
        _canonical_bearer_scheme()
        verify_jwt_in_request(refresh=refresh)
        user = get_current_user()
    return user


def _canonical_bearer_scheme() -> None:
    """Auth scheme names are case-insensitive (RFC 7235), flask-jwt-extended compares
    ``Bearer`` exactly: ``bearer <token>`` and ``BEARER <token>`` are rewritten to it."""
    scheme, space, rest = request.headers.get("Authorization", "").partition(" ")
    if space and scheme != "Bearer" and scheme.lower() == "bearer":
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {rest}"


def refuse_api_key() -> None:
    """403 for an authenticated API key: account management (logout, refresh, the keys
    themselves) needs a signed-in session, so a leaked key cannot mint more keys or
    outlive its own deletion."""
    if g.get("api_key_id") is not None:
        raise Forbidden(
            "API keys cannot manage sessions or keys: sign in and send "
            "'Authorization: Bearer <access token>' instead."
        )


def active_user(user_id: int) -> User | None:
    """The user with this id (a detached, read-only snapshot from the access cache), or
    None when there is none; 401 ``account_inactive`` when deactivated."""
    user = access_cache().cached("users", user_id, lambda: db.session.get(User, user_id))
    if user is not None and not user.is_active:
        raise AccountInactive()
    return user


def digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def verify_key(raw_key: str) -> tuple[ApiKey, User]:
    """The live key ``raw_key`` is and its owner (read-only snapshots); 401 otherwise."""
    scheme, _, rest = raw_key.partition("_")
    prefix_digits, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or len(prefix_digits) != PREFIX_HEX_DIGITS or not secret:
        raise ApiKeyInvalid("The API key is malformed: it should read mlapi_<prefix>_<secret>.")
    prefix = f"{scheme}_{prefix_digits}"
    key = access_cache().cached(
        "keys",
        prefix,
        lambda: db.session.execute(
            select(ApiKey).where(ApiKey.prefix == prefix)
        ).scalar_one_or_none(),
    )
    if key is None or not hmac.compare_digest(key.secret_hash, digest(raw_key)):
        raise ApiKeyInvalid()
    now = utcnow()
    if key.expires_at is not None and key.expires_at <= now:
        if key.replaced_by_id is not None:
            raise ApiKeyInvalid(
                "The API key has expired: a rotation replaced it and its grace period has "
                "ended. Use the key that replaced it."
            )
        raise ApiKeyInvalid("The API key has expired; create a new one.")
    owner = active_user(key.owner_id)
    if owner is None:
        raise ApiKeyInvalid()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        db.session.commit()
        key.last_used_at = now  # the cached snapshot, so the next minute writes nothing
    return key, owner
