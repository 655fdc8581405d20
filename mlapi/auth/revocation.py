"""Where ended sign-ins are remembered.

Every worker and host must refuse a logged-out token on the very next request, so the
store is shared: the database here. A Redis-backed store may implement the same two
methods later (as a cache in front of the database, never instead of it).
"""

from datetime import datetime
from typing import Protocol

from sqlalchemy import select

from ..extensions import db
from .models import RevokedLogin


class RevocationStore(Protocol):
    def revoke(self, login_id: str, user_id: int, expires_at: datetime) -> None: ...

    def is_revoked(self, login_id: str) -> bool: ...


class DatabaseRevocationStore:
    """Revoked sign-ins as rows; the caller's transaction commits them."""

    def revoke(self, login_id: str, user_id: int, expires_at: datetime) -> None:
        if db.session.get(RevokedLogin, login_id) is None:
            db.session.add(RevokedLogin(login_id=login_id, user_id=user_id, expires_at=expires_at))

    def is_revoked(self, login_id: str) -> bool:
        stmt = select(RevokedLogin.login_id).where(RevokedLogin.login_id == login_id)
        return db.session.execute(stmt).first() is not None
