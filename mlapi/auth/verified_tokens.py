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
"""

import time
from datetime import timedelta

from flask import Flask, current_app
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config

from ..lru import LRUCache

VERIFIED_TOKENS = "mlapi.verified_tokens"
CAPACITY = 4096  # tokens; a few hundred callers each sign in a few times a day


def _in_time(claims: dict, leeway: float | timedelta) -> bool:
    if isinstance(leeway, timedelta):
        leeway = leeway.total_seconds()
    now = time.time()
    if "exp" in claims and claims["exp"] <= now - leeway:
        return False
    return not ("nbf" in claims and claims["nbf"] > now + leeway)


class VerifiedTokenJWTManager(JWTManager):
    def init_app(self, app: Flask, add_context_processor: bool = False) -> None:
        super().init_app(app, add_context_processor)
        app.extensions[VERIFIED_TOKENS] = LRUCache(CAPACITY)

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None,
                                allow_expired: bool = False) -> dict:
        if csrf_value is not None or allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        verified = current_app.extensions[VERIFIED_TOKENS]
        claims = verified.get(encoded_token)
        if claims is None or not _in_time(claims, config.leeway):
            claims = super()._decode_jwt_from_config(encoded_token)
            verified.put(encoded_token, claims)
        return dict(claims)  # callers get their own copy
