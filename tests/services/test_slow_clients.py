"""Slow clients: behind the nginx configuration
the repository ships (deploy/nginx/mlapi.conf), two clients sending a body one byte a
second do not stop ``/livez`` answering.

Outside testing found that two unauthenticated connections trickling a body block both sync
workers of a host, and ``/livez`` times out. The second test reproduces that on gunicorn
alone: it is why docs/production.md requires the proxy. nginx comes from Debian's package
(``apt-get install nginx-light``); without it these tests skip, except under ``CI=true``
where they fail.

One gunicorn (two sync workers, SQLite, production profile) and one nginx in front of it,
both in a temporary folder on free ports, stopped by PID when the module is done. Nothing
here is timed: the tests assert the order of events (an answer while both clients are
still sending; no answer until one of them goes away), counted in the bytes the trickling
clients send. ``GUARD_SECONDS`` only ends a test that would otherwise hang.
"""

import os
import secrets
import select
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from tests.services.conftest import ROOT, Host, free_port, host_environment, wait_until_ready

NGINX_SITE = ROOT / "deploy" / "nginx" / "mlapi.conf"
NGINX_PACKAGE = "nginx-light"
GUARD_SECONDS = 30.0  # a failure bound for a request or client that would hang forever
BODY_BYTES = 100


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found:
        return found
    reason = (
        f"nginx is not installed (Debian package {NGINX_PACKAGE}: apt-get install "
        f"-y {NGINX_PACKAGE})"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def gunicorn_host(tmp_path_factory):
    directory = tmp_path_factory.mktemp("slow-clients-gunicorn")
    port = free_port()
    env = host_environment(
        MLAPI_ENV="production",
        MLAPI_SECRET_KEY=secrets.token_urlsafe(48),
        MLAPI_AUTO_MIGRATE="true",
        MLAPI_WORKERS="2",
        MLAPI_BIND=f"127.0.0.1:{port}",
        MLAPI_TRUSTED_PROXIES="1",
        MLAPI_INSTANCE_PATH=str(directory / "instance"),
    )
    host = Host("gunicorn", f"http://127.0.0.1:{port}", directory, env)
    try:
        host.start()
        wait_until_ready([host])
        yield host
    finally:
        host.stop()


def nginx_configuration(directory: Path, listen_port: int, upstream_port: int) -> Path:
    """A whole nginx.conf around the committed site file, whose two addresses are the only
    change: its own pid, logs and temporary files in ``directory``, in the foreground."""
    site = NGINX_SITE.read_text()
    for committed, local in (
        ("listen 80;", f"listen 127.0.0.1:{listen_port};"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
    ):
        assert site.count(committed) == 1, f"{NGINX_SITE} no longer says {committed!r}"
        site = site.replace(committed, local)
    (directory / "mlapi.conf").write_text(site)
    temporary = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would otherwise become `nobody`, who cannot enter the
    # test's temporary folder.
    user = "user root;" if os.geteuid() == 0 else ""
    main = directory / "nginx.conf"
    main.write_text(f"""daemon off;
master_process on;
worker_processes 1;
{user}
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} info;
events {{ worker_connections 64; }}
http {{
    access_log off;
{temporary}
    include {directory / "mlapi.conf"};
}}
""")
    return main


@pytest.fixture(scope="module")
def nginx_proxy(tmp_path_factory, gunicorn_host):
    binary = nginx_binary()
    directory = tmp_path_factory.mktemp("slow-clients-nginx")
    port = free_port()
    upstream = int(gunicorn_host.url.rsplit(":", 1)[1])
    config = nginx_configuration(directory, port, upstream)
    checked = subprocess.run(
        [binary, "-t", "-p", str(directory), "-e", "stderr", "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    with (directory / "nginx.out").open("ab") as output:
        process = subprocess.Popen(
            [binary, "-p", str(directory), "-e", "stderr", "-c", str(config)],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    proxy = Host("nginx", f"http://127.0.0.1:{port}", directory, {}, process)
    try:
        wait_until_ready([proxy], workers=0)
        yield proxy
    finally:
        process.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


class SlowBody:
    """A client that sends a sign-in's headers at once, then its body one byte a second
    (``BODY_BYTES`` declared), until closed."""

    def __init__(self, url: str):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.socket = socket.create_connection((host, int(port)), timeout=GUARD_SECONDS)
        self.socket.sendall(
            (
                f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {host}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {BODY_BYTES}\r\n\r\n"
            ).encode()
        )
        self.sent = 0
        self.error: OSError | None = None
        self.closing = threading.Event()
        self.progress = threading.Condition()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        try:
            while self.sent < BODY_BYTES - 1 and not self.closing.wait(1.0):
                self.socket.sendall(b" ")
                with self.progress:
                    self.sent += 1
                    self.progress.notify_all()
        except OSError as exc:  # the server dropped us
            self.error = exc
        finally:
            with self.progress:
                self.progress.notify_all()

    @property
    def still_sending(self) -> bool:
        return self.thread.is_alive() and self.error is None

    def send_more(self, count: int) -> None:
        """Returns once ``count`` more bytes of the body went out, still trickling."""
        with self.progress:
            target = self.sent + count
            self.progress.wait_for(
                lambda: self.sent >= target or self.error is not None, GUARD_SECONDS
            )
        assert self.sent >= target, self.error
        assert self.still_sending, self.error

    def close(self) -> None:
        self.closing.set()
        self.thread.join(timeout=GUARD_SECONDS)
        self.socket.close()


class PendingGet:
    """A GET written at once on a socket of its own, its answer read only when asked for:
    whether the server has answered yet is a look at the socket, not a wait on a clock."""

    def __init__(self, url: str, path: str):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.socket = socket.create_connection((host, int(port)), timeout=GUARD_SECONDS)
        self.socket.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        )

    def answered(self) -> bool:
        readable, _, _ = select.select([self.socket], [], [], 0)
        return bool(readable)

    def status(self) -> int:
        """The answer's status code, read when it comes (within the guard)."""
        with self.socket.makefile("rb") as answer:
            status_line = answer.readline()
        assert status_line.startswith(b"HTTP/1."), status_line
        return int(status_line.split()[1])

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def slow_bodies():
    """Opens slow clients on a URL; every one is closed when the test ends."""
    opened: list[SlowBody] = []

    def open_two(url: str) -> list[SlowBody]:
        opened.extend(SlowBody(url) for _ in range(2))
        return opened[-2:]

    yield open_two
    for client in opened:
        client.close()


@pytest.fixture
def idle_gunicorn(gunicorn_host):
    """The host with both workers free again (an earlier test's slow clients are closed,
    and a worker reading one notices at its next read)."""
    wait_until_ready([gunicorn_host])
    return gunicorn_host


def test_livez_answers_through_nginx_while_two_clients_trickle_their_bodies(
    idle_gunicorn, nginx_proxy, slow_bodies
):
    trickling = slow_bodies(nginx_proxy.url)

    for client in trickling:
        client.send_more(1)  # both are in the middle of their bodies

    response = nginx_proxy.get("/livez", timeout=GUARD_SECONDS)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert all(client.still_sending for client in trickling)  # answered in their midst


def test_without_the_proxy_two_trickling_clients_stop_livez(idle_gunicorn, slow_bodies):
    """The reproduction, kept as documentation of what a sync worker cannot do: each worker
    waits on its client's next byte, and nobody is left to answer ``/livez`` until one of
    the clients goes away."""
    trickling = slow_bodies(idle_gunicorn.url)
    livez = PendingGet(idle_gunicorn.url, "/livez")
    try:
        for client in trickling:
            client.send_more(3)

        assert not livez.answered()  # three more bytes from each client, and no answer
        trickling[0].close()
        assert livez.status() == 200  # a worker is free again: it answers at once
    finally:
        livez.close()
