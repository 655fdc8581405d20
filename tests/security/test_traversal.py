"""Path traversal: no model name or upload file name puts a file outside the model store.

The store names artifacts by the sha256 of their bytes (``<store>/<sha[:2]>/<sha>``),
never by anything a client sends, and refuses any digest that is not 64 hex characters
(tests/unit/registry/test_store.py); model names are limited to ``[A-Za-z0-9_.-]``.
These tests send the classic traversal spellings through the upload form and check the
disk: every file the test's instance folder gains lies inside the store, under the name
of its digest, and none of the places the payloads point at was written.
"""

import io
import os
from pathlib import Path

import pytest

from tests.steps.common_steps import assert_refused_pointing_at
from tests.support.model_files import model_file
from tests.unit.helpers import artifacts_in
from tests.unit.registry.test_upload import form_for, post_form

TRAVERSALS = [
    "../../etc/passwd",
    "..%2f..%2fevil",
    "%2e%2e%2fevil",
    "..\\..\\evil",
    "/etc/passwd",
    "/tmp/evil",  # noqa: S108 "C:\\evil", "\\\\server\\share\\evil",
    "evil\x00.skops",
    "\uff0e\uff0e\uff0fevil",
    "\u2024\u2024/evil",
    "~/.ssh/evil",
    "....//....//evil",
    "models/../../evil",
    "..\u2215evil",
    "evil/",
]
# Names of allowed characters that merely look like paths: accepted, and harmless.
DOTTED_NAMES = ["...", "..-..", ".hidden", "..evil"]  # "." and ".." are refused


def files_under(root: Path) -> set[Path]:
    return {Path(folder, name) for folder, _, names in os.walk(root) for name in names}


def state(path: Path):
    return (path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None


class Disk:
    """The test's folder (instance, database, store) before the requests, to compare."""

    def __init__(self, root: Path, store: Path):
        self.root, self.store = root, store.resolve()
        self.before = files_under(root)
        self.watched: dict[Path, object] = {}

    def watch(self, *names: str) -> None:
        """Remember the places ``names`` point at, read as paths from inside the store."""
        for name in names:
            for base in (self.store, self.store / "ab", self.root / "instance"):
                target = Path(os.path.normpath(base / name.replace("\\", "/")))
                if not target.is_relative_to(self.store):
                    self.watched[target] = state(target)

    def assert_only_artifacts_added(self):
        """New files are the store's artifacts (or its lock) and the database's; none of
        the watched places changed."""
        added = {path.resolve() for path in files_under(self.root) - self.before}
        artifacts = {path.resolve() for path in artifacts_in(self.store)}
        for path in added:
            if path.name.startswith("mlapi.db") and path.parent == self.root.resolve():
                continue
            assert path.is_relative_to(self.store), f"{path} is outside the store"
            assert path in artifacts or path.name == ".registry.lock", path
        for target, before in self.watched.items():
            assert state(target) == before, f"{target} was written"


@pytest.fixture
def disk(tmp_path, private_model_store) -> Disk:
    return Disk(tmp_path, private_model_store)


@pytest.mark.parametrize("name", TRAVERSALS)
def test_a_model_name_with_a_path_in_it_is_refused(client, auth_headers, disk, name):
    disk.watch(name)

    response = post_form(client, auth_headers, **form_for(name=name))

    assert_refused_pointing_at(response, "name")
    disk.assert_only_artifacts_added()


def test_dotted_names_are_names_not_paths(client, auth_headers, upload_model, disk):
    """'...' is a legal model name ('.' and '..' are refused: a full name is a path); it
    names a record, and the artifact still lives under its digest inside the store."""
    disk.watch(*DOTTED_NAMES)

    records = [upload_model(auth_headers, name) for name in DOTTED_NAMES]

    assert [record["name"] for record in records] == DOTTED_NAMES
    digest = records[0]["sha256"]
    assert (disk.store / digest[:2] / digest).read_bytes() == model_file("regressor")
    disk.assert_only_artifacts_added()
    listed = client.get("/api/v1/models", query_string={"name": "..."}, headers=auth_headers)
    assert [item["name"] for item in listed.get_json()["items"]] == ["..."]


@pytest.mark.parametrize(
    "filename", [*TRAVERSALS, "../../evil.skops", "C:\\x", "/etc/passwd\x00.skops"]
)
def test_the_upload_file_name_is_ignored(client, auth_headers, disk, filename):
    """The file name is the client's business: the artifact is stored under its digest,
    and nothing is written where the name points."""
    form = form_for(file=(io.BytesIO(model_file("classifier")), filename))
    disk.watch(filename)

    response = post_form(client, auth_headers, **form)

    assert response.status_code == 201, response.get_json()
    digest = response.get_json()["sha256"]
    assert (disk.store / digest[:2] / digest).read_bytes() == model_file("classifier")
    assert filename not in response.get_data(as_text=True)
    disk.assert_only_artifacts_added()


@pytest.mark.parametrize("name", ["../../etc/passwd", "..%2f..%2fetc%2fpasswd", "/etc/passwd"])
def test_traversal_in_the_name_filter_finds_nothing(client, auth_headers, name):
    response = client.get("/api/v1/models", query_string={"name": name}, headers=auth_headers)

    assert response.status_code == 200
    assert response.get_json()["items"] == []


@pytest.mark.parametrize(
    "path",
    [
        "../../etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "%2e%2e/%2e%2e/etc/passwd",
        "..\\..\\etc\\passwd",
    ],
)
def test_traversal_in_a_model_path_is_not_found(client, auth_headers, path):
    response = client.get(f"/api/v1/models/{path}", headers=auth_headers)

    assert response.status_code == 404
    assert "root:" not in response.get_data(as_text=True)
