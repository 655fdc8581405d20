"""API keys: long-lived credentials for scripts and services, created, listed, rotated and
deleted by their owner. A key a request presents is checked in ``mlapi.auth.credentials``.

A key reads ``mlapi_<prefix>_<secret>``. The prefix (12 hex digits) is public: it finds the
row and tells keys apart in listings. The whole key is shown once, at creation; only its
SHA-256 digest is stored, compared in constant time.
"""

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

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
    """Keys of the owner that still work: not deleted (deleted rows are gone) nor expired.
    A rotated key counts until its grace period ends: that is its ``expires_at``."""
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
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None

    def write(prefix: str, raw: str) -> ApiKey:
        _check_key_cap(owner)
        key = _added_key(owner.id, name, expires_at, prefix, raw)
        record("api_key.created", "api_key", key.id, _described(key, expires=True))
        db.session.commit()
        return key

    return _with_a_fresh_prefix(write)


def _with_a_fresh_prefix(write: Callable[[str, str], ApiKey]) -> tuple[ApiKey, str]:
    """``write(prefix, raw)``, one whole transaction that adds the key ``raw`` and commits,
    and ``raw``. A prefix collision (2^-48 per pair) rolls the transaction back, locks
    included, and only costs a retry with a fresh key."""
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        prefix, raw = _new_key()
        try:
            return write(prefix, raw), raw
        except IntegrityError:
            db.session.rollback()
            if attempt == CREATE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _added_key(
    owner_id: int, name: str, expires_at: datetime | None, prefix: str, raw: str
) -> ApiKey:
    key = ApiKey(
        owner_id=owner_id,
        name=name,
        prefix=prefix,
        secret_hash=digest(raw),
        expires_at=expires_at,
    )
    db.session.add(key)
    db.session.flush()  # a prefix collision shows here; the key's id for its record
    return key


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
    key = find_key(actor, key_id, "delete")
    record("api_key.deleted", "api_key", key.id, _described(key))
    db.session.delete(key)
    db.session.commit()


def rotate_key(owner: User, key_id: int, grace_seconds: int = 0) -> tuple[ApiKey, str]:
    """A new key in place of ``key_id`` (same owner, name and expiry) and its secret. The
    old key works on for ``grace_seconds`` (never past its own expiry), stays listed, and
    names the new one in ``replaced_by_id``.

    Not held to the key cap: for the grace period the owner holds one key more than
    before. Two rotations of one key at once give one new key and one 409: the second
    waits for the first's commit, then reads the old key afresh and finds it rotated. It
    waits on the owner's row, then the old key's (PostgreSQL row locks); on SQLite on the
    single writer lock, which the new key's insert takes before that read.
    """
    old = find_key(owner, key_id, "rotate")

    def write(prefix: str, raw: str) -> ApiKey:
        db.session.execute(select(User.id).where(User.id == owner.id).with_for_update())
        new = _added_key(owner.id, old.name, old.expires_at, prefix, raw)
        now = utcnow()
        _check_rotatable(find_key(owner, key_id, "rotate", lock=True), now)
        grace_end = now + timedelta(seconds=grace_seconds)
        old.expires_at = min(old.expires_at or grace_end, grace_end)
        old.replaced_by_id = new.id
        details = {**_described(old), "grace_seconds": grace_seconds, "new_key_id": new.id}
        record("api_key.rotated", "api_key", old.id, details)
        db.session.commit()
        return new

    return _with_a_fresh_prefix(write)


def _check_rotatable(key: ApiKey, now: datetime) -> None:
    """409 for a key already rotated (in its grace period or past it) or expired."""
    if key.replaced_by_id is not None:
        db.session.rollback()
        raise Conflict(
            f"This API key was already rotated: key {key.replaced_by_id} replaced it. "
            "Rotate that one instead."
        )
    if key.expires_at is not None and key.expires_at <= now:
        db.session.rollback()
        raise Conflict("This API key has expired and cannot be rotated: create a new one.")


def find_key(actor: User, key_id: int, action: str, *, lock: bool = False) -> ApiKey:
    """The key ``key_id`` when ``actor`` may ``action`` it; "not found" otherwise (another
    user's key is not revealed). ``lock``: read it afresh and lock its row (PostgreSQL)."""
    stmt = select(ApiKey).where(ApiKey.id == key_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    key = db.session.execute(stmt).scalar_one_or_none()
    if key is None or not may(actor, action, key):
        db.session.rollback()  # a rotation's locks and new key go with the refusal
        raise NotFound("There is no API key with that id among yours.")
    return key


def _described(key: ApiKey, *, expires: bool = False) -> dict:
    """The audit details of a key: its name and public prefix, never its secret."""
    details = {"name": key.name, "prefix": key.prefix}
    if expires:
        details["expires_at"] = (
            key.expires_at.replace(tzinfo=UTC).isoformat() if key.expires_at else None
        )
    return details
