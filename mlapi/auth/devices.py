"""Known devices: the ``mlapi_device`` cookie a password sign-in gives its client
(docs/rate-limits.md#password-guessing-a-budget-per-account-and-known-devices)."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import delete, or_, select
from werkzeug.http import dump_cookie

from ..extensions import db
from ..timeutil import utcnow
from .models import KnownDevice, User

COOKIE = "mlapi_device"
COOKIE_PATH = "/api/v1/auth"  # sent with sign-ins only, never with other API calls
LIFETIME = timedelta(days=30)
# Known devices kept per user, the most recently used: a script that never keeps cookies
# makes a new device at every sign-in and must not grow the table without bound. Generous,
# since each of its sign-ins pushes the oldest device out (a script signing in hourly
# would take 41 days, longer than a device lives, to push out a browser).
MAX_DEVICES = 1000


def _signature(user_id: int, device_id: str) -> str:
    key = hashlib.sha256(b"mlapi-device\0" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, f"{user_id}:{device_id}".encode(), hashlib.sha256).hexdigest()


def recognised(user: User | None) -> KnownDevice | None:
    """The request's known device for ``user``: a cookie signed for this account whose row
    exists and was used for a password sign-in within the last 30 days; else None."""
    value = request.cookies.get(COOKIE, "")
    device_id, _, signature = value.partition(".")
    if user is None or not device_id or not signature:
        return None
    # Bytes: compare_digest refuses str with non-ASCII characters (a hostile cookie).
    if not hmac.compare_digest(signature.encode(), _signature(user.id, device_id).encode()):
        return None
    device = db.session.get(KnownDevice, device_id)
    if device is None or device.user_id != user.id or device.last_used_at <= utcnow() - LIFETIME:
        return None
    return device


def remember(user: User, device: KnownDevice | None) -> str:
    """Record a password sign-in from this client (a new device, or the known one renewed)
    and return the ``Set-Cookie`` header value that names it."""
    now = utcnow()
    if device is None:
        device = KnownDevice(id=secrets.token_hex(16), user_id=user.id, created_at=now)
        db.session.add(device)
    device.last_used_at = now
    db.session.flush()
    newest = (
        select(KnownDevice.id)
        .where(KnownDevice.user_id == user.id)
        .order_by(KnownDevice.last_used_at.desc(), KnownDevice.id)
        .limit(MAX_DEVICES)
    )
    db.session.execute(
        delete(KnownDevice).where(
            KnownDevice.user_id == user.id,
            or_(KnownDevice.last_used_at <= now - LIFETIME, KnownDevice.id.not_in(newest)),
        )
    )
    db.session.commit()
    return dump_cookie(
        COOKIE,
        f"{device.id}.{_signature(user.id, device.id)}",
        max_age=LIFETIME,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=current_app.config.get("ENV") != "development",
    )


def forget_all(user_id: int, *, but: KnownDevice | None = None) -> None:
    """Revoke every known device of the user, ``but`` one (in the caller's transaction)."""
    kept = () if but is None else (KnownDevice.id != but.id,)
    db.session.execute(delete(KnownDevice).where(KnownDevice.user_id == user_id, *kept))
