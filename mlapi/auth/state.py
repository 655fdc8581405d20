"""What the auth domain keeps per app: the password hasher, the revocation store, and the
JWT manager bound to the app."""

from dataclasses import dataclass

from flask import Flask, current_app

from .passwords import Passwords
from .revocation import DatabaseRevocationStore, RevocationStore
from .verified_tokens import jwt

EXTENSION = "mlapi.auth"


@dataclass
class AuthState:
    passwords: Passwords
    revocations: RevocationStore


def init_auth(app: Flask) -> AuthState:
    jwt.init_app(app)
    state = AuthState(
        passwords=Passwords(**app.config["PASSWORD_HASH"]), revocations=DatabaseRevocationStore()
    )
    app.extensions[EXTENSION] = state
    return state


def auth_state() -> AuthState:
    return current_app.extensions[EXTENSION]
