"""Bearer tokens whose signature this app has already checked, remembered so that a client's
every request does not pay for the check again (docs/decisions.md#accounts-and-tokens).

A hit re-checks ``exp`` and ``nbf``; revocation and the account are still read per request.
A token must carry every claim mlapi relies on (``REQUIRED_CLAIMS``), or it could never
expire or never be revoked. Each entry keeps the token's header too: parsing it again
(PyJWT checks every character of the segment) cost more than the rest of the lookup.
"""

import time
from datetime import timedelta

from flask import Flask, current_app, g, request
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config
from jwt import InvalidTokenError, MissingRequiredClaimError, get_unverified_header
from jwt import decode as decode_unverified

from ..lru import LRUCache

VERIFIED_TOKENS = "mlapi.verified_tokens"
CAPACITY = 4096  # tokens; a few hundred callers each sign in a few times a day
REQUIRED_CLAIMS = ("sub", "jti", "exp", "type")
TOKEN_TYPES = ("access", "refresh")


def _in_time(claims: dict, leeway: float | timedelta) -> bool:
    if isinstance(leeway, timedelta):
        leeway = leeway.total_seconds()
    now = time.time()
    if "exp" in claims and claims["exp"] <= now - leeway:
        return False
    return not ("nbf" in claims and claims["nbf"] > now + leeway)


def _require_claims(encoded_token: str) -> None:
    """Called once the signature verified, on the claims as the token carries them."""
    claims = decode_unverified(encoded_token, options={"verify_signature": False})
    for name in REQUIRED_CLAIMS:
        if name not in claims:
            raise MissingRequiredClaimError(name)
    if claims["type"] not in TOKEN_TYPES:
        raise InvalidTokenError("Unknown token type")
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti.split(".", 1)[0]:
        raise InvalidTokenError("The jti claim names no login")


def verified(encoded_token: str) -> tuple[dict, dict] | None:
    """The claims and header of a token this app verified, while it is in time; None for
    any other token, which the full check must judge. The claims are the cache's own:
    read them, never change them."""
    entry = current_app.extensions[VERIFIED_TOKENS].get(encoded_token)
    if entry is None or not _in_time(entry[0], config.leeway):
        return None
    return entry


class VerifiedTokenJWTManager(JWTManager):
    def init_app(self, app: Flask, add_context_processor: bool = False) -> None:
        super().init_app(app, add_context_processor)
        app.extensions[VERIFIED_TOKENS] = LRUCache(CAPACITY)

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value=None, allow_expired: bool = False
    ) -> dict:
        if csrf_value is not None or allow_expired:
            claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
            _require_claims(encoded_token)
            return claims
        entry = verified(encoded_token)
        if entry is None:
            claims = super()._decode_jwt_from_config(encoded_token)
            _require_claims(encoded_token)
            entry = claims, get_unverified_header(encoded_token)
            current_app.extensions[VERIFIED_TOKENS].put(encoded_token, entry)
        return dict(entry[0])  # callers get their own copy

    def holder_of_verified_token(self, refresh: bool):
        """The user ``verify_jwt_in_request(refresh=refresh)`` then ``get_current_user()``
        would give for a plain ``Bearer <token>`` header (the scheme in any case) whose
        token is ``verified`` (so it holds no space or comma and flask-jwt-extended would
        read the same token), without their per-request machinery (config reads, parsing
        the header and the token's header again): the same checks in the same order through the same
        callbacks (type, blocklist, claims check, user lookup), the same ``g`` fields for
        ``get_jwt()`` and ``get_current_user()``. None for any other request or when a check
        fails: the full path then judges it, and answers a refusal as it always has."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        entry = verified(token) if scheme.lower() == "bearer" else None
        if entry is None:
            return None
        claims, header = dict(entry[0]), dict(entry[1])  # the request's own, as on the full path
        if (
            (claims["type"] == "refresh") is not refresh
            or self._token_in_blocklist_callback(header, claims)
            or not self._token_verification_callback(header, claims)
        ):
            return None
        user = self._user_lookup_callback(header, claims)
        if user is None:
            return None
        g._jwt_extended_jwt_user = {"loaded_user": user}
        g._jwt_extended_jwt_header = header
        g._jwt_extended_jwt = claims
        g._jwt_extended_jwt_location = "headers"
        return user


jwt = VerifiedTokenJWTManager()  # bound by init_auth; its callbacks are mlapi.auth.tokens'
