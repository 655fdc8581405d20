"""The model store: artifacts content-addressed by their sha256, on disk or in the database.

Two backends with one interface (``put``/``get``/``exists``/``delete``, plus ``lock`` and
``hold`` for the registry's reference counting): ``FileModelStore`` (a folder, one host) and
``DatabaseModelStore`` (mlapi/registry/db_store.py, every host; ``MLAPI_MODEL_STORE=db``).

Writes go to a temporary file in the same directory and are renamed into place, so a
reader never sees half an artifact. Every read is checked against the digest it is
stored under, so a damaged or swapped file is refused rather than executed.
"""

import hashlib
import os
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from filelock import FileLock


class ArtifactUnavailable(Exception):
    """The artifact is missing or its bytes no longer match its digest."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_digest(sha256: str) -> str:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return sha256


class ModelStore(Protocol):
    # True: put and delete join the caller's database transaction (they take effect at its
    # commit, and vanish with its rollback). False: they take effect at once.
    transactional: bool

    def put(self, data: bytes) -> str: ...
    def get(self, sha256: str) -> bytes: ...
    def exists(self, sha256: str) -> bool: ...
    def delete(self, sha256: str) -> None: ...

    def lock(self) -> AbstractContextManager:
        """Held by an upload across write-and-commit and by a delete across
        check-and-remove, so a delete never removes bytes an upload is committing."""

    def hold(self, sha256: str) -> None:
        """Before checking whether a digest is still referenced, in the same transaction."""

    def mark_pending(self, sha256: str) -> None:
        """Before an upload writes a new artifact, under ``lock()``; cleared once its record
        is committed or the artifact removed again."""

    def clear_pending(self, sha256: str) -> None: ...

    def interrupted(self) -> list[str]:
        """Under ``lock()``: digests whose upload never cleared its mark (its worker was
        killed), after removing temporary files such a worker left half-written."""


class FileModelStore:
    transactional = False

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._lock: FileLock | None = None

    def _path(self, sha256: str) -> Path:
        return self.root / check_digest(sha256)[:2] / sha256

    def lock(self) -> FileLock:
        """One lock file per store (processes of one host share it), reentrant."""
        if self._lock is None:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(self.root / ".registry.lock", timeout=60)
        return self._lock

    def hold(self, sha256: str) -> None:
        """Nothing to do: ``lock()`` is already held."""

    def _mark(self, sha256: str) -> Path:
        return self.root / ".pending" / check_digest(sha256)

    def mark_pending(self, sha256: str) -> None:
        self._mark(sha256).parent.mkdir(parents=True, exist_ok=True)
        self._mark(sha256).touch()

    def clear_pending(self, sha256: str) -> None:
        self._mark(sha256).unlink(missing_ok=True)

    def interrupted(self) -> list[str]:
        for partial in self.root.glob("??/.incoming-*"):  # no writer runs: we hold lock()
            partial.unlink(missing_ok=True)
        marks = self.root / ".pending"
        return sorted(mark.name for mark in marks.iterdir()) if marks.is_dir() else []

    def put(self, data: bytes) -> str:
        digest = sha256_of(data)
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        try:
            data = self._path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise ArtifactUnavailable(f"artifact {sha256[:12]} is missing") from exc
        if sha256_of(data) != sha256:
            raise ArtifactUnavailable(f"artifact {sha256[:12]} fails its checksum")
        return data

    def delete(self, sha256: str) -> None:
        """Remove an artifact; removing one that is already gone is not an error."""
        self._path(sha256).unlink(missing_ok=True)

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()
