"""The audit sweep's rows for the user's sign-ins, made through the HTTP API: a password
change and signing out everywhere, each from the user's session."""

from sqlalchemy import select

from mlapi.auth.models import User
from tests.contract_client import session_secrets
from tests.support.audit_change import Change, Stage, read_rows

NEW_PASSWORD = "tangerine-lighthouse-93"
session_secrets.add(NEW_PASSWORD)


def _change_password(stage: Stage):
    return stage.client.post(
        "/api/v1/auth/password",
        json={"current_password": stage.user.password, "new_password": NEW_PASSWORD},
        headers=stage.user_headers,
    )


def _sign_out_everywhere(stage: Stage):
    return stage.client.post("/api/v1/auth/logout-all", headers=stage.user_headers)


def _sign_ins(stage: Stage):
    """What ends the user's sign-ins, and the password."""
    columns = (User.password_hash, User.session_generation, User.kept_login_id)
    return read_rows(stage, select(*columns).where(User.id == stage.user.id))


SESSION_ROWS: dict[str, Change] = {
    "password.changed": Change("session", _change_password, _sign_ins, actor="user"),
    "sessions.revoked (password_changed)": Change(
        "session",
        _change_password,
        _sign_ins,
        actor="user",
        details=lambda stage: {"reason": "password_changed"},
    ),
    "sessions.revoked (logout_all)": Change(
        "session",
        _sign_out_everywhere,
        _sign_ins,
        actor="user",
        details=lambda stage: {"reason": "logout_all"},
    ),
}
