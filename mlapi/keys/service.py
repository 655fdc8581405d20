"""API keys: long-lived credentials for scripts and services, created, listed and deleted
by their owner. A key a request presents is checked in ``mlapi.auth.credentials``.

A key reads ``mlapi_<prefix>_<secret>``. The prefix (12 hex digits) is public: it finds the
row and tells keys apart in listings. The whole key is shown once, at creation; only its
SHA-256 digest is stored, compared in constant time.
"""

import secrets
from datetime import UTC, timedelta

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ..audit.service import record
from ..auth.credentials import KEY_SCHEME, PREFIX_HEX_DIGITS, digest
from ..auth.models import ApiKey, User
from ..errors import Conflict, NotFound
from ..extensions import db
from ..pagination import Page, paginate
from ..policy import may
from ..timeutil import utcnow

SECRET_BYTES = 32
CREATE_ATTEMPTS = 3  # a prefix collision (2^-48 per pair) only costs a retry


def _new_key() -> tuple[str, str]:
    prefix = f"{KEY_SCHEME}_{secrets.token_hex(PREFIX_HEX_DIGITS // 2)}"
    return prefix, f"{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"


def live_key_count(owner_id: int) -> int:
    """Keys of the owner that still work: not deleted (deleted rows are gone) nor expired."""
    return db.session.execute(
        select(func.count())
        .select_from(ApiKey)
        .where(
            ApiKey.owner_id == owner_id,
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > utcnow()),
        ),
    ).scalar_one()


def _check_key_cap(owner: User) -> None:
    """409 when the owner already holds ``MAX_API_KEYS`` live keys. The owner's
    row is locked first (PostgreSQL), so two concurrent creations
    cannot both pass the count."""
    db.session.execute(select(User.id).where(User.id == owner.id).with_for_update())
    cap = current_app.config["MAX_API_KEYS"]
    if live_key_count(owner.id) >= cap:
        db.session.rollback()
        raise Conflict(
            f"You already hold {cap} live API keys, the most one account may. "
            "Delete one you no longer use, or wait for one to expire, to free "
            "a slot."
        )


def create_key(owner: User, name: str, expires_in_days: int | None = None) -> tuple[ApiKey, str]:
    """A new key of ``owner``'s and its secret, which is not kept anywhere."""
    _check_key_cap(owner)
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        prefix, raw = _new_key()
        key = ApiKey(
            owner_id=owner.id,
            name=name,
            prefix=prefix,
            secret_hash=digest(raw),
            expires_at=expires_at,
        )
        db.session.add(key)
        try:
            db.session.flush()  # a prefix collision shows here; the key's id for its record
            record("api_key.created", "api_key", key.id, _described(key, expires=True))
            db.session.commit()
            return key, raw
        except IntegrityError:
            db.session.rollback()
            if attempt == CREATE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def list_keys(owner: User, *, page: int, per_page: int) -> Page:
    stmt = (
        select(ApiKey)
        .where(ApiKey.owner_id == owner.id)
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    )
    return paginate(stmt, page, per_page)


def delete_key(actor: User, key_id: int) -> None:
    """Delete a key at once. Another user's key is "not found" unless the actor is an
    admin: its existence is not revealed."""
    key = db.session.get(ApiKey, key_id)
    if key is None or not may(actor, "delete", key):
        raise NotFound("There is no API key with that id among yours.")
    record("api_key.deleted", "api_key", key.id, _described(key))
    db.session.delete(key)
    db.session.commit()


def _described(key: ApiKey, *, expires: bool = False) -> dict:
    """The audit details of a key: its name and public prefix, never its secret."""
    details = {"name": key.name, "prefix": key.prefix}
    if expires:
        details["expires_at"] = (
            key.expires_at.replace(tzinfo=UTC).isoformat() if key.expires_at else None
        )
    return details
