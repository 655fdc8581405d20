"""The clients a team generates from the live OpenAPI document type-check the way they are
used (issue 18), and the document passes Redocly's recommended lint.

Each test reads /openapi.json from the test app and generates a client from it: the Python
package (openapi-python-client) in the test's temporary directory, the TypeScript types
(openapi-typescript) in contract/clients/build/, git-ignored, where editors find them. Then
it type-checks what a team writes with that client, contract/clients/typical_use.py with
``mypy --strict`` and typical_use.ts (openapi-fetch) with ``tsc --noEmit --strict``: sign in,
upload a model, predict, page through models, handle a problem. A field the API always sends
but the document leaves optional fails the check, as it would fail the team's build. The
Python flow also runs against the test's app on a real socket, so the generated client is
known to read the answers it types.

The TypeScript half and the lint need node and npm; the npm packages are the exact versions
of contract/clients/package-lock.json, installed with ``npm ci`` once per lock file. Without
node or npm these tests skip, naming what to install, except under ``CI=true``, where they
fail: CI must never pass having type-checked nothing.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from tests.support.model_files import model_file

CLIENTS = Path(__file__).resolve().parents[2] / "contract" / "clients"
BUILD = CLIENTS / "build"
NODE_MODULES = CLIENTS / "node_modules"
# Redocly problems accepted one by one (keyed by the lint test's copy of the document).
LINT_IGNORES = CLIENTS / ".redocly.lint-ignore.yaml"
# Written into node_modules after `npm ci`: the hash of the lock file it installed.
INSTALLED_LOCK = NODE_MODULES / ".mlapi-installed-lock.sha256"
# @redocly/cli 2 and its engines field: Node.js 20.19 or later.
NODE_AT_LEAST = (20, 19)
# Redocly's CLI: no usage data sent, no update check.
QUIET_REDOCLY = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}


def run(
    *command: str | Path,
    timeout: float = 300,
    env: dict | None = None,
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def output(result: subprocess.CompletedProcess) -> str:
    return f"exit status {result.returncode}\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def live_document(client, tmp_path) -> Path:
    """The app's own /openapi.json, as a file the generators read."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(response.get_json(), indent=2))
    return path


def fresh_build_dir(name: str) -> Path:
    directory = BUILD / name
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


@pytest.fixture
def python_client(live_document, tmp_path) -> Path:
    """The directory holding the generated package ``mlapi_client``: the test's own, since
    two tests use it and xdist may run them at once."""
    out = tmp_path / "python"
    generated = run(
        sys.executable,
        "-m",
        "openapi_python_client",
        "generate",
        "--path",
        live_document,
        "--config",
        "python_client.yaml",
        "--output-path",
        out,
    )
    assert generated.returncode == 0, output(generated)
    # A warning means an operation or a schema the generator left out of the client.
    assert "warning" not in generated.stdout.lower(), output(generated)
    return out


def test_the_generated_python_client_types_the_typical_use_under_mypy_strict(python_client):
    checked = run(
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--cache-dir",
        BUILD / "mypy-cache",
        "typical_use.py",
        env={"MYPYPATH": str(python_client)},
    )
    assert checked.returncode == 0, output(checked)
    assert checked.stdout.startswith("Success: no issues found"), output(checked)


def test_the_typical_use_works_against_a_running_server(python_client, server_url, user, tmp_path):
    skops_file = tmp_path / "ridge.skops"
    skops_file.write_bytes(model_file("regressor"))
    features = ["0.03", "0.05", "0.06", "0.02", "-0.04", "-0.03", "-0.04", "0.0", "0.02", "0.01"]
    used = run(
        sys.executable,
        "typical_use.py",
        skops_file,
        *features,
        timeout=120,
        env={
            "PYTHONPATH": str(python_client),
            "MLAPI_URL": server_url,
            "MLAPI_USERNAME": user.username,
            "MLAPI_PASSWORD": user.password,
        },
    )
    assert used.returncode == 0, output(used)
    outcome = json.loads(used.stdout)
    assert isinstance(outcome["prediction"], float)
    assert outcome["prediction_id"] >= 1
    # One model per page: the default model and the new one are on pages of their own.
    assert "typed-client-example" in outcome["models"]
    assert len(outcome["models"]) >= 2
    assert outcome["refused"].startswith("features:"), outcome["refused"]


def missing_node() -> str | None:
    """Why the TypeScript checks cannot run here, or None."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node or npm not found"
    version = run("node", "--version").stdout.strip()  # "v20.20.2"
    major, minor = (int(part) for part in version.lstrip("v").split(".")[:2])
    if (major, minor) < NODE_AT_LEAST:
        return f"node {version} is too old"
    return None


@pytest.fixture(scope="session")
def npm_packages() -> Path:
    """contract/clients/node_modules, as package-lock.json pins it (``npm ci`` when the lock
    file differs from the one installed last)."""
    missing = missing_node()
    if missing:
        reason = (
            f"{missing}: the typed-client checks need Node.js >= 20.19 with npm "
            "(NodeSource's nodejs package; Debian 12's nodejs is 18)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    lock = hashlib.sha256((CLIENTS / "package-lock.json").read_bytes()).hexdigest()
    BUILD.mkdir(exist_ok=True)
    # One `npm ci` at a time: under xdist each worker has its own session.
    with FileLock(BUILD / "npm-ci.lock"):
        if not INSTALLED_LOCK.exists() or INSTALLED_LOCK.read_text() != lock:
            installed = run("npm", "ci", "--no-audit", "--no-fund", timeout=600)
            assert installed.returncode == 0, output(installed)
            INSTALLED_LOCK.write_text(lock)
    return NODE_MODULES


def test_the_generated_typescript_types_the_typical_use_under_tsc_strict(
    live_document, npm_packages
):
    out = fresh_build_dir("typescript")
    generated = run("node", "generate_types.mjs", live_document, out / "schema.d.ts")
    assert generated.returncode == 0, output(generated)
    checked = run(
        "node",
        npm_packages / "typescript" / "bin" / "tsc",
        "--noEmit",
        "--strict",
        "--pretty",
        "false",
        "-p",
        "tsconfig.json",
    )
    assert checked.returncode == 0, output(checked)


def test_the_document_passes_redoclys_recommended_lint(live_document, npm_packages):
    document = fresh_build_dir("lint") / "openapi.json"
    shutil.copy(live_document, document)
    linted = run(
        "node",
        npm_packages / "@redocly" / "cli" / "bin" / "cli.js",
        "lint",
        document.relative_to(CLIENTS),
        "--config",
        "redocly.yaml",
        "--format",
        "stylish",
        env=QUIET_REDOCLY,
    )
    assert linted.returncode == 0, output(linted)
    # Every problem accepted in the ignore file is still there: a stale entry would let the
    # same problem back in unnoticed somewhere else.
    ignored = re.search(r"(\d+) problems? (?:are|is) explicitly ignored", linted.stderr)
    accepted = re.findall(r"^\s+- '#/", LINT_IGNORES.read_text(), flags=re.MULTILINE)
    assert (int(ignored[1]) if ignored else 0) == len(accepted), (
        f"an entry of {LINT_IGNORES.name} matches no problem any more: remove it\n" + output(linted)
    )
