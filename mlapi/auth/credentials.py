"""Who is calling: a bearer token or an API key, never both.

``authenticate`` runs before every protected view and leaves the caller in ``g``; views
read it as ``current_caller``. Rate limits key on the caller (every token and key of a
user share one budget, ``mlapi.limits``).
"""

from flask import g, request
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from werkzeug.local import LocalProxy

from ..errors import Forbidden, TokenInvalid
from ..keys.service import verify_key
from .models import User

API_KEY_HEADER = "X-API-Key"

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
        _canonical_bearer_scheme()
        verify_jwt_in_request(refresh=refresh)
        g.caller, g.api_key_id = get_current_user(), None
    return g.caller


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
        raise Forbidden("API keys cannot manage sessions or keys: sign in and send "
                        "'Authorization: Bearer <access token>' instead.")

