"""Signatures receivers check: ``sha256=<hex HMAC-SHA256 of the exact body>``."""

import hashlib
import hmac

SCHEME = "sha256"


def sign(secret: str, body: bytes) -> str:
    return f"{SCHEME}={hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}"


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute over the bytes received, compare in constant time."""
    return hmac.compare_digest(sign(secret, body), signature)
