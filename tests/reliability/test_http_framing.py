"""Broken HTTP framing under gunicorn (issue 14, item 7): a chunked body whose chunk is
longer than its declared size, or that stops half-way, is a 400 (gunicorn's own or the
app's ``malformed_json``), never a 500, and the worker goes on answering.

gunicorn reads a chunked body for the app and raises its own errors (``ChunkMissingTerminator``,
``NoMoreData``) from ``wsgi.input`` while the app reads it: only a real gunicorn shows them.
One sync worker on SQLite, its own port and folders; it runs this working tree's code.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # seconds until /livez answers
LOGIN = "/api/v1/auth/login"
BODY = b'{"username": "alice", "password": "correct-horse"}'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``http://127.0.0.1:<port>`` of a one-worker gunicorn; stopped by its PID."""
    folder = tmp_path_factory.mktemp("framing")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLAPI_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "MLAPI_BIND": f"127.0.0.1:{port}",
            "MLAPI_WORKERS": "1",
            "MLAPI_SECRET_KEY": secrets.token_urlsafe(48),
            "MLAPI_DATABASE_URL": f"sqlite:///{folder / 'mlapi.db'}",
            "MLAPI_MODEL_STORE": str(folder / "models"),
            "MLAPI_AUTO_MIGRATE": "true",
            "MLAPI_INSTANCE_PATH": str(folder / "instance"),
            "MLAPI_RATELIMIT_ENABLED": "false",
            "MLAPI_WEBHOOK_WORKER": "false",
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        }
    )
    log_path = folder / "gunicorn.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()[-5000:]}")
            time.sleep(0.2)
        yield url, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/livez", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def raw_exchange(port: int, request: bytes, *, stop_sending: bool = False) -> bytes:
    """Send ``request`` as it is on a fresh connection and read the answer to its end;
    ``stop_sending`` closes our side first, as a client that gives up half-way."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        if stop_sending:
            connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def chunked_post(
    path: str, chunks: bytes, content_type: str = "application/json", token: str | None = None
) -> bytes:
    authorization = f"Authorization: Bearer {token}\r\n" if token else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: mlapi\r\nContent-Type: {content_type}\r\n"
        f"{authorization}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode() + chunks


def chunked_login(chunks: bytes) -> bytes:
    return chunked_post(LOGIN, chunks)


@pytest.fixture(scope="module")
def token(server) -> str:
    """An access token of a user registered on the server."""
    url, _ = server
    account = {"username": "framing", "password": "framing-test-passphrase-7"}
    registered = requests.post(
        f"{url}/api/v1/auth/register", timeout=30, json={**account, "email": "framing@example.com"}
    )
    assert registered.status_code == 201, registered.text
    signed_in = requests.post(f"{url}{LOGIN}", json=account, timeout=30)
    return signed_in.json()["access_token"]


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1."), answer[:200]
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize(
    ("chunks", "stop_sending"),
    [
        (b"5\r\n" + BODY + b"\r\n0\r\n\r\n", False),
        (b"%x\r\n" % (len(BODY) + 100) + BODY, True),
        (b"%x\r\n" % len(BODY) + BODY + b"\r\n", True),
    ],
    ids=["chunk-longer-than-declared", "chunk-cut-short", "no-last-chunk"],
)
def test_broken_chunked_framing_is_400_and_the_worker_lives_on(server, chunks, stop_sending):
    url, port = server

    answer = raw_exchange(port, chunked_login(chunks), stop_sending=stop_sending)

    assert status_of(answer) == 400, answer.decode(errors="replace")
    assert requests.get(f"{url}/livez", timeout=10).status_code == 200


def test_well_framed_chunked_body_is_read_as_usual(server):
    _, port = server

    answer = raw_exchange(port, chunked_login(b"%x\r\n" % len(BODY) + BODY + b"\r\n0\r\n\r\n"))

    assert status_of(answer) == 401, answer.decode(errors="replace")  # no such user


def test_broken_chunked_framing_of_an_upload_is_400_and_the_worker_lives_on(server, token):
    url, port = server
    form = (
        b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nchurn\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="m.skops"\r\n'
        b"\r\nPK\x03\x04" + b"x" * 200 + b"\r\n--b--\r\n"
    )

    answer = raw_exchange(
        port,
        chunked_post(
            "/api/v1/models",
            b"10\r\n" + form + b"\r\n0\r\n\r\n",
            "multipart/form-data; boundary=b",
            token,
        ),
    )

    assert status_of(answer) == 400, answer.decode(errors="replace")
    assert requests.get(f"{url}/livez", timeout=10).status_code == 200
