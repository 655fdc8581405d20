"""The model store: artifacts on disk, content-addressed by their sha256.

Writes go to a temporary file in the same directory and are renamed into place, so a
reader never sees half an artifact. Every read is checked against the digest it is
stored under, so a damaged or swapped file is refused rather than executed.
"""

import hashlib
import os
import tempfile
from pathlib import Path


class ArtifactUnavailable(Exception):
    """The artifact is missing or its bytes no longer match its digest."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileModelStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256

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
