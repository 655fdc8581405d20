"""Account logic, free of Flask request objects."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ..audit.service import record
from ..errors import Conflict, InvalidCredentials, LoginRefused, NameTaken, ValidationFailed
from ..extensions import db
from ..teams.models import KIND_TEAM, Namespace
from ..timeutil import utcnow
from . import devices, password_rules, tokens
from .models import ROLE_USER, SYSTEM_USERNAME, User
from .state import auth_state

UNUSABLE_PASSWORD = "!"  # noqa: S105  (not an argon2 hash: never verifies)


def register(
    username: str, email: str, password: str, full_name: str | None = None, role: str = ROLE_USER
) -> User:
    """Create an account; 409 naming the username or email taken in any letter case, or
    "already taken" when a team has the name (users and teams share one namespace).

    Naming the field tells a caller nothing more than the 409 itself: with a fresh
    username, a 409 already says the email is taken."""
    user = User(
        username=username,
        username_key=username.lower(),
        email=email,
        email_key=email.lower(),
        password_hash=auth_state().passwords.hash(password),
        full_name=full_name,
        role=role,
        is_active=True,
    )
    if fields := taken(username=username, email=email):
        raise already_registered(fields)
    if team_has_name(username):
        raise NameTaken()
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as exc:  # lost a race with a concurrent registration or team
        db.session.rollback()
        if fields := taken(username=username, email=email):
            raise already_registered(fields) from exc
        if team_has_name(username):
            raise NameTaken() from exc
        raise already_registered([]) from exc
    return user


def team_has_name(name: str) -> bool:
    """Whether a team (live or deleted: its name stays reserved) claimed ``name``."""
    claim = db.session.get(Namespace, name.lower())
    return claim is not None and claim.kind == KIND_TEAM


def taken(*, username: str | None = None, email: str | None = None) -> list[str]:
    """Which of ``username`` and ``email`` an account has already, in any letter case."""
    checks = {"username": (User.username_key, username), "email": (User.email_key, email)}
    return [
        name
        for name, (column, value) in checks.items()
        if value is not None
        and db.session.execute(select(User.id).where(column == value.lower())).first()
    ]


def already_registered(fields: list[str]) -> Conflict:
    if not fields:  # a concurrent registration that has gone again
        return Conflict("That username or email is already registered.")
    verb = "is" if len(fields) == 1 else "are"
    return Conflict(f"That {' and '.join(fields)} {verb} already registered.")


def find_account(identifier: str) -> User | None:
    """The account ``identifier`` (username or email, any case) names, or None."""
    key = identifier.lower()
    return db.session.execute(
        select(User).where(or_(User.username_key == key, User.email_key == key))
    ).scalar_one_or_none()


def check_password(user: User | None, password: str) -> User:
    """``user`` if the password fits (401 otherwise, in the same time for no user); 403
    when the account is inactive."""
    passwords = auth_state().passwords
    if not passwords.verify(user.password_hash if user else None, password):
        raise InvalidCredentials()
    if not user.is_active:
        raise LoginRefused()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
        db.session.commit()
    return user


def sign_in(user: User) -> dict:
    login_id, generation = tokens.new_login_id(), user.session_generation
    return {
        "access_token": tokens.access_token_for(user.id, login_id, generation),
        "refresh_token": tokens.refresh_token_for(user.id, login_id, generation),
        "token_type": "bearer",
        "expires_in": tokens.access_lifetime_seconds(),
    }


def refresh(user: User, refresh_claims: dict) -> dict:
    """A new access token of the refresh token's sign-in (and session generation, which
    the revocation check has just found current)."""
    return {
        "access_token": tokens.access_token_for(
            user.id,
            tokens.login_id_of(refresh_claims["jti"]),
            tokens.generation_of(refresh_claims) or 0,
        ),
        "token_type": "bearer",
        "expires_in": tokens.access_lifetime_seconds(),
    }


def sign_out(user: User, jti: str) -> None:
    """Revoke the sign-in this token belongs to (its access and refresh tokens)."""
    lifetime: timedelta = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    auth_state().revocations.revoke(tokens.login_id_of(jti), user.id, utcnow() + lifetime)
    db.session.commit()


def check_current_password(user: User, password: str) -> None:
    """422 on ``current_password`` unless it is ``user``'s password (not 401: the caller's
    token is fine, only this field is wrong)."""
    stored = db.session.get(User, user.id).password_hash
    if not auth_state().passwords.verify(stored, password):
        raise ValidationFailed({"current_password": ["Does not match your current password."]})


def change_password(user: User, new_password: str, jti: str) -> None:
    """Set the new password and end every other sign-in of the user on every host: the
    session generation moves on, and the sign-in ``jti`` belongs to is kept
    (docs/decisions.md#accounts-and-tokens). Known devices go too, but the one this
    request comes from. API keys are not sign-ins: they keep working.

    422 on ``new_password`` when it breaks the rule of registration (``password_rules``):
    checked here, not in the schema, because the rule needs the account's names (and
    after the current password, so a guesser learns nothing before spending the budget)."""
    problem = password_rules.weakness(new_password, username=user.username, email=user.email)
    if problem is not None:
        raise ValidationFailed({"new_password": [problem]})
    account = _locked(user.id)
    account.password_hash = auth_state().passwords.hash(new_password)
    account.session_generation += 1
    account.kept_login_id = tokens.login_id_of(jti)
    devices.forget_all(account.id, but=devices.recognised(account))
    record("password.changed", "session", account.id)
    record("sessions.revoked", "session", account.id, {"reason": "password_changed"})
    db.session.commit()


def sign_out_everywhere(user: User) -> None:
    """End every sign-in of the user, the caller's own included, on every host; forget
    the account's known devices (a lost laptop's cookie no longer spares it the sign-in
    budget). API keys keep working."""
    account = _locked(user.id)
    account.session_generation += 1
    account.kept_login_id = None
    devices.forget_all(account.id)
    record("sessions.revoked", "session", account.id, {"reason": "logout_all"})
    db.session.commit()


def _locked(user_id: int) -> User:
    """The user's row, locked (PostgreSQL) until the commit: a password change and a logout
    everywhere of one user run one after the other, so the last one's kept sign-in wins."""
    return db.session.get(User, user_id, with_for_update=True)


def ensure_system_account() -> User:
    """The owner of built-in models: cannot sign in (no usable password, inactive)."""
    user = db.session.execute(
        select(User).where(User.username_key == SYSTEM_USERNAME)
    ).scalar_one_or_none()
    if user is None:
        user = User(
            username=SYSTEM_USERNAME,
            username_key=SYSTEM_USERNAME,
            email="system@mlapi.invalid",
            email_key="system@mlapi.invalid",
            password_hash=UNUSABLE_PASSWORD,
            role=ROLE_USER,
            is_active=False,
        )
        db.session.add(user)
        db.session.flush()
    return user
