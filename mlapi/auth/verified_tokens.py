"""Bearer tokens whose signature this app has already checked, remembered so that a client's
every request does not pay for the check again (docs/decisions.md#accounts-and-tokens).

A hit re-checks ``exp`` and ``nbf``; revocation and the account are still read per request.
A token must carry every claim mlapi relies on (``REQUIRED_CLAIMS``), or it could never
expire or never be revoked.
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
