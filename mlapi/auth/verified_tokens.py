"""Tokens whose signature this process has already checked, so a client's every request
does not pay for the check again.

flask-jwt-extended decodes a bearer token three times per request (its claims, its header,
then the verified decode), about a tenth of a millisecond. A token string that verified
once always carries the same claims (the signature covers them), so each app keeps the
verified claims in an LRU keyed by the exact token string. A hit re-checks the time
claims (``exp``, ``nbf``, with the configured leeway) and a token that is no longer in
time goes through the full decode again, which refuses it exactly as before. Revocation
and the caller's account are checked after decoding, on every request, as before; the
cache belongs to one app, so a token signed with another app's key is never in it.

A verified token must also carry every claim mlapi relies on (``REQUIRED_CLAIMS``).
flask-jwt-extended fills a missing ``type`` in as "access" and a missing ``jti`` as None,
and PyJWT accepts a token without ``exp``: such a token (only the holder of the secret can
sign one, but a bug or a leaked secret could) would never expire, or could not be revoked
by a logout, since revocation is keyed on the login id inside ``jti``.
"""

import time
from datetime import timedelta

from flask import Flask, current_app
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config
from jwt import InvalidTokenError, MissingRequiredClaimError
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


class VerifiedTokenJWTManager(JWTManager):
    def init_app(self, app: Flask, add_context_processor: bool = False) -> None:
        super().init_app(app, add_context_processor)
        app.extensions[VERIFIED_TOKENS] = LRUCache(CAPACITY)

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None,
                                allow_expired: bool = False) -> dict:
        if csrf_value is not None or allow_expired:
            claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
            _require_claims(encoded_token)
            return claims
        verified = current_app.extensions[VERIFIED_TOKENS]
        claims = verified.get(encoded_token)
        if claims is None or not _in_time(claims, config.leeway):
            claims = super()._decode_jwt_from_config(encoded_token)
            _require_claims(encoded_token)
            verified.put(encoded_token, claims)
        return dict(claims)  # callers get their own copy


jwt = VerifiedTokenJWTManager()  # bound by init_auth; its callbacks are mlapi.auth.tokens'
