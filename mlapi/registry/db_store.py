"""The database model store: artifacts in a table every host reads (``MLAPI_MODEL_STORE=db``;
docs/storage-and-caching.md#transactions-and-reference-counting).

``put`` and ``delete`` join the caller's transaction. On PostgreSQL ``put`` takes a share
lock on an existing row and ``hold`` an update lock before the reference check, so a delete
and an upload of the same bytes wait for each other; SQLite serialises writers by itself.
"""

from contextlib import nullcontext
from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String, delete, exists, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow
from .store import ArtifactUnavailable, check_digest, sha256_of


class ModelArtifact(db.Model):
    __tablename__ = "model_artifacts"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ModelArtifact {self.sha256[:12]} {self.size} bytes>"


class DatabaseModelStore:
    transactional = True

    def put(self, data: bytes) -> str:
        """Insert the artifact in the caller's transaction (it commits); the digest.

        ``INSERT … ON CONFLICT DO NOTHING``: an upload of the same bytes racing on another
        host never fails on the primary key (PostgreSQL waits for the other insert, then
        skips or inserts). The share lock then keeps the row until our commit; if a delete
        removed it meanwhile, the insert is simply done again."""
        digest = sha256_of(data)
        for _attempt in range(3):
            if self._share_lock(digest):  # present: the bytes need not travel again
                return digest
            db.session.execute(
                _insert_ignoring_duplicates(
                    {"sha256": digest, "data": data, "size": len(data), "created_at": utcnow()}
                )
            )
        if self._share_lock(digest):
            return digest
        raise ArtifactUnavailable(f"artifact {digest[:12]} could not be stored")

    @staticmethod
    def _share_lock(digest: str) -> bool:
        return (
            db.session.execute(
                select(ModelArtifact.sha256)
                .where(ModelArtifact.sha256 == digest)
                .with_for_update(read=True)
            ).scalar_one_or_none()
            is not None
        )

    def get(self, sha256: str) -> bytes:
        # Only the bytes, not an ORM object: a 50 MB artifact does not stay in the session.
        data = db.session.execute(
            select(ModelArtifact.data).where(ModelArtifact.sha256 == check_digest(sha256))
        ).scalar_one_or_none()
        if data is None:
            raise ArtifactUnavailable(f"artifact {sha256[:12]} is missing")
        if sha256_of(data) != sha256:
            raise ArtifactUnavailable(f"artifact {sha256[:12]} fails its checksum")
        return data

    def exists(self, sha256: str) -> bool:
        return db.session.scalar(
            select(exists().where(ModelArtifact.sha256 == check_digest(sha256)))
        )

    def delete(self, sha256: str) -> None:
        """Remove the artifact when the caller commits; one already gone is not an error."""
        db.session.execute(
            delete(ModelArtifact).where(ModelArtifact.sha256 == check_digest(sha256))
        )

    def lock(self):
        return nullcontext()  # row locks (``put``, ``hold``) do the work, on every host

    def mark_pending(self, sha256: str) -> None:
        """Nothing to do: an uncommitted artifact row vanishes with its transaction."""

    def clear_pending(self, sha256: str) -> None:
        """Nothing to do (see ``mark_pending``)."""

    def interrupted(self) -> list[str]:
        return []

    def hold(self, sha256: str) -> None:
        db.session.execute(
            select(ModelArtifact.sha256)
            .where(ModelArtifact.sha256 == check_digest(sha256))
            .with_for_update()
        )


def _insert_ignoring_duplicates(row: dict):
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(ModelArtifact).values(**row).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(ModelArtifact).values(**row).on_conflict_do_nothing()
    return insert(ModelArtifact).values(**row)  # other databases: a duplicate fails the commit
