"""The file model store: content-addressed, written atomically, checked on every read."""

import hashlib
import os

import pytest

from mlapi.registry.store import ArtifactUnavailable, FileModelStore
from tests.unit.helpers import artifacts_in

BLOB = b"model bytes \x00\x01\x02" * 100


@pytest.fixture
def store(tmp_path) -> FileModelStore:
    return FileModelStore(tmp_path / "models")


def test_put_returns_the_sha256_of_the_bytes_and_get_returns_them(store):
    digest = store.put(BLOB)

    assert digest == hashlib.sha256(BLOB).hexdigest()
    assert store.get(digest) == BLOB
    assert store.exists(digest)


def test_same_bytes_are_stored_once(store):
    assert store.put(BLOB) == store.put(BLOB)

    assert len(artifacts_in(store.root)) == 1


def test_failed_write_leaves_neither_an_artifact_nor_a_temporary_file(store, monkeypatch):
    def disk_full(*_args):
        raise OSError("No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)

    with pytest.raises(OSError, match="No space"):
        store.put(BLOB)

    digest = hashlib.sha256(BLOB).hexdigest()
    assert not store.exists(digest)
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_damaged_artifact_is_refused(store):
    digest = store.put(BLOB)
    [path] = artifacts_in(store.root)
    path.write_bytes(BLOB[:-1] + b"!")

    with pytest.raises(ArtifactUnavailable, match="checksum"):
        store.get(digest)


def test_artifact_swapped_for_another_is_refused(store):
    digest, other = store.put(BLOB), store.put(b"another model")
    path_of = {p.name: p for p in artifacts_in(store.root)}
    path_of[digest].write_bytes(path_of[other].read_bytes())

    with pytest.raises(ArtifactUnavailable, match="checksum"):
        store.get(digest)


def test_missing_artifact_is_unavailable(store):
    with pytest.raises(ArtifactUnavailable, match="missing"):
        store.get(hashlib.sha256(b"never stored").hexdigest())


@pytest.mark.parametrize(
    "digest", ["../../etc/passwd", "a" * 63, "A" * 64, "g" * 64, "/" + "a" * 63, ""]
)
def test_only_sha256_hex_digests_name_artifacts(store, digest):
    with pytest.raises(ValueError, match="sha256"):
        store.get(digest)
