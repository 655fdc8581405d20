"""An export that fails part-way never looks complete (issue 20): under gunicorn, the
exception raised inside the streamed body after the headers makes the worker close the
connection without the chunked encoding's last, empty chunk, so the client sees an
incomplete read, never a clean end; the failure is logged, and the worker lives on.

The database is broken under the running export, with no hook in the app: the test renames
the predictions table of the server's SQLite file once the first bytes have arrived. The
rows are wide (about 2 kB each, 40 MB in all) so the server, blocked on the socket's
buffers, is still reading when the table goes away.
"""

import json
import secrets
import sqlite3
import time
from pathlib import Path

import pytest
import requests

from tests.reliability.gunicorn_server import answers, one_worker_gunicorn

ROWS = 20_000
FIRST_BATCH = 1000  # rows (mlapi.predictions.export.BATCH_SIZE)
FEATURES = json.dumps([round(0.001 * i, 3) for i in range(250)])


@pytest.fixture
def server(tmp_path):
    """(url, database file, log file) of a one-worker gunicorn on SQLite."""
    with one_worker_gunicorn(tmp_path) as running:
        yield running.url, running.database, running.log


def signed_in(url: str) -> tuple[dict, int]:
    """Headers of a new account on the server, and its user id."""
    account = {"username": "exporter", "password": secrets.token_urlsafe(16)}
    registered = requests.post(
        f"{url}/api/v1/auth/register", json={**account, "email": "x@example.com"}, timeout=30
    )
    assert registered.status_code == 201, registered.text
    token = requests.post(f"{url}/api/v1/auth/login", json=account, timeout=30).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    me = requests.get(f"{url}/api/v1/users/me", headers=headers, timeout=30).json()
    return headers, me["id"]


def seed(database: Path, owner_id: int) -> None:
    with sqlite3.connect(database) as connection:
        [model_id, name, version] = connection.execute(
            "SELECT id, name, version FROM ml_models ORDER BY id LIMIT 1"
        ).fetchone()
        connection.executemany(
            "INSERT INTO predictions (owner_id, model_id, model_name, model_version, features,"
            " prediction, probabilities, cached, latency_ms, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, NULL, 0, 1.0, ?)",
            (
                (
                    owner_id,
                    model_id,
                    name,
                    version,
                    FEATURES,
                    str(i),
                    f"2026-01-01 00:00:{i % 60:02d}",
                )
                for i in range(ROWS)
            ),
        )
    connection.close()


def break_history(database: Path) -> None:
    connection = sqlite3.connect(database, timeout=30)
    try:
        connection.execute("ALTER TABLE predictions RENAME TO predictions_gone")
        connection.commit()
    finally:
        connection.close()


def test_an_export_broken_part_way_ends_as_an_incomplete_read(server):
    url, database, log_path = server
    headers, user_id = signed_in(url)
    seed(database, user_id)

    received = 0
    with requests.get(
        f"{url}/api/v1/predictions/export", headers=headers, stream=True, timeout=60
    ) as response:
        assert response.status_code == 200
        assert response.headers["Transfer-Encoding"] == "chunked"
        chunks = response.iter_content(chunk_size=64 * 1024)
        while received < FIRST_BATCH * len(FEATURES):  # past the first batch
            received += len(next(chunks))
        break_history(database)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            received += sum(map(len, chunks))

    assert received < ROWS * len(FEATURES)  # far from the whole file
    assert answers(url)  # the worker lives on
    line = logged(log_path, "prediction export aborted after")
    assert int(line["rows"]) >= FIRST_BATCH
    assert line["message"].endswith("OperationalError")
    assert FEATURES not in log_path.read_text()


def logged(log_path: Path, start: str, timeout: float = 10.0) -> dict:
    """The app's JSON log line whose message starts with ``start``, once the worker's log
    queue has written it (polled up to ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        for text in log_path.read_text().splitlines():
            if text.startswith("{") and json.loads(text).get("message", "").startswith(start):
                return json.loads(text)
        if time.monotonic() > deadline:
            pytest.fail(f"no log line {start!r}:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)
