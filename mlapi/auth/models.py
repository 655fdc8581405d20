"""Users, their API keys, revoked sign-ins, known devices and failed sign-ins."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..access_cache import watch
from ..extensions import db
from ..timeutil import utcnow

ROLE_USER = "user"
ROLE_ADMIN = "admin"
SYSTEM_USERNAME = "mlapi-system"


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    # Lower-cased copies carry the uniqueness rule: `Bob` cannot register when `bob` exists.
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_USER)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Every token carries the generation it was issued under (claim ``gen``); deactivation
    # moves it on, so tokens issued before are refused (``token_revoked``) after a
    # reactivation. A counter, not a time: two events in one second stay ordered.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A password change moves the generation on but keeps the sign-in it was made from:
    # tokens of this sign-in stay valid whatever generation they carry. Cleared by every
    # change that ends all sign-ins (logout everywhere, deactivation).
    kept_login_id: Mapped[str | None] = mapped_column(String(64))

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username}>"


class RevokedLogin(db.Model):
    """A sign-in ended by logout: its access and refresh tokens are refused from now on.

    Kept until ``expires_at`` (the refresh token's expiry), after which the tokens are
    refused anyway and the row may be pruned.
    """

    __tablename__ = "revoked_logins"

    login_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, db.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    revoked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


@event.listens_for(User.is_active, "set", active_history=True)
def _end_sign_ins_on_deactivation(user: User, value, old_value, _initiator) -> None:
    """Deactivation ends every sign-in, whatever path sets the flag (API, CLI, a test)."""
    if old_value is True and value is False:
        user.session_generation = (user.session_generation or 0) + 1
        user.kept_login_id = None


class KnownDevice(db.Model):
    """A client that signed in to this account with its password (the ``mlapi_device``
    cookie names the row). Known for 30 days after its last password sign-in; deleted when
    the user is deactivated. Bookkeeping: writing it never invalidates the access cache."""

    __tablename__ = "known_devices"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, db.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SignInFailure(db.Model):
    """One failed (or still running) password check against an account's sign-in budget.

    ``account`` is a digest of the resolved account (``user:<id>``) or of the case-folded
    unknown identifier, so no username or address is stored in clear. Rows older than the
    budget's window are pruned as new ones arrive.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_account_at", "account", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ApiKey(db.Model):
    """A long-lived credential for scripts and services, acting as its owner.

    Only a SHA-256 digest of the secret is kept: the secret is 256 random bits, so a fast
    hash is as safe as a slow one and keeps the per-request check cheap. ``prefix`` is the
    key's public, unique start: it finds the row and lets people tell their keys apart.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        Integer, db.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The key a rotation made of this one; set, this key is in its grace period (until
    # ``expires_at``) or past it, and cannot be rotated again. No foreign key: deleting the
    # new key leaves this one rotated.
    replaced_by_id: Mapped[int | None] = mapped_column(Integer)

    policy_kind = "api_key"


# What the access cache (mlapi/access_cache.py) must forget when it is written.
watch(User)
watch(RevokedLogin, changed=False)
# Recording a key's use (once a minute) changes nothing a cached answer says.
watch(ApiKey, added=False, quiet=frozenset({"last_used_at"}))
