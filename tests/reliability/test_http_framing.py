"""Broken HTTP framing under gunicorn (issue 14, item 7): a chunked body whose chunk is
longer than its declared size, or that stops half-way, is a 400 (gunicorn's own or the
app's ``malformed_json``), never a 500, and the worker goes on answering.

gunicorn reads a chunked body for the app and raises its own errors (``ChunkMissingTerminator``,
``NoMoreData``) from ``wsgi.input`` while the app reads it: only a real gunicorn shows them.
One sync worker on SQLite, its own port and folders; it runs this working tree's code.
"""

import socket

import pytest
import requests

from tests.reliability.gunicorn_server import one_worker_gunicorn

LOGIN = "/api/v1/auth/login"
BODY = b'{"username": "alice", "password": "correct-horse"}'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(url, port)`` of a one-worker gunicorn."""
    with one_worker_gunicorn(tmp_path_factory.mktemp("framing")) as running:
        yield running.url, running.port


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
