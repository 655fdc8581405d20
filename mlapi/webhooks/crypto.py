"""The hooks' signing secrets: made here, shown once, stored encrypted.

Each delivery must be signed again, so a secret cannot be hashed like a password or an API
key. It is encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from
``SECRET_KEY`` with HKDF-SHA256 and a label of its own, so the key is used for nothing
else, and rotating ``MLAPI_SECRET_KEY`` makes old secrets unreadable (docs/webhooks.md).
"""

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"  # noqa: S105  (a label, not a secret)
SECRET_BYTES = 32
HKDF_SALT = b"mlapi.webhooks"
HKDF_INFO = b"mlapi webhook signing secrets v1"


class SecretUnreadable(Exception):
    """The stored secret does not decrypt under the current ``SECRET_KEY``."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def decrypt(token: str, secret_key: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "the hook's secret does not decrypt with the current MLAPI_SECRET_KEY"
        ) from exc
