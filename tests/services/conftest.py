"""Two mlapi hosts under gunicorn, sharing one PostgreSQL database, one Redis and the ``db``
model store, as in production — for the tests of ``tests/services``.

Collected only with ``MLAPI_SERVICES_TESTS=1`` (root conftest.py); run by ``tox -e services``
and CI. Servers: ``MLAPI_TEST_DATABASE_URL`` (a PostgreSQL server URL; this suite creates a
database of its own there and drops it) and ``MLAPI_TEST_REDIS_URL``, by default the local
ones (127.0.0.1:5432 as ``postgres``, 127.0.0.1:6379).

Each host is ``gunicorn -c gunicorn.conf.py wsgi:app`` with two sync workers, its own port,
instance folder and working directory (so nothing on disk can be shared by accident), and
the same secret key, database, Redis and key prefix. Both start at the same moment, against
an empty database, with ``MLAPI_AUTO_MIGRATE=true``: four workers race through the first
start. They are stopped by PID (SIGTERM, then SIGKILL after a timeout) when the module's
tests are done, whether they passed or not; a failing test's report carries both logs.
test_slow_clients.py starts a host of its own (SQLite) with the same ``Host`` helpers.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
DATABASE_SERVER = (
    os.environ.get("MLAPI_TEST_DATABASE_URL")
    or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("MLAPI_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
WORKERS = 2
DEFAULT_BUDGET = 6  # MLAPI_RATELIMIT_DEFAULT per minute: small enough to exhaust in a test
START_TIMEOUT = 120.0  # seconds until both hosts answer /readyz
STOP_TIMEOUT = 30.0  # seconds after SIGTERM before SIGKILL
READY_LINE = re.compile(r'"message": "worker (\d+) ready"')
LOG_TAIL = 20_000  # characters of each host's log attached to a failing test's report


@dataclass
class Host:
    name: str
    url: str
    directory: Path
    env: dict
    process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.directory / "gunicorn.log"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-LOG_TAIL:]
        except FileNotFoundError:
            return "(no log)"

    def workers_ready(self) -> int:
        """Workers that loaded the app (gunicorn.conf.py's post_worker_init says so)."""
        return len(set(READY_LINE.findall(self.full_log())))

    def full_log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "-c", str(GUNICORN_CONF), "wsgi:app"],
                cwd=self.directory,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def terminate(self) -> None:
        """SIGTERM to the master (graceful: workers finish, then on_exit cleans up)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def stop(self) -> None:
        """Terminate, wait, and SIGKILL the master if it outlives ``STOP_TIMEOUT``."""
        process = self.process
        if process is None:
            return
        self.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)

    def request(
        self, method: str, path: str, *, timeout: float = 30, **kwargs
    ) -> requests.Response:
        return requests.request(method, self.url + path, timeout=timeout, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def host_environment(**settings: str) -> dict:
    """This process's environment without any ``MLAPI_*`` or Prometheus setting of its own
    (tox passes ``MLAPI_*`` through), plus ``settings``; ``wsgi.py`` importable from any
    working directory."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MLAPI_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(settings)
    return env


@pytest.fixture(scope="session")
def database_url():
    """A fresh, empty PostgreSQL database for the two hosts; dropped afterwards."""
    server = make_url(DATABASE_SERVER)
    name = f"mlapi_services_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {server.render_as_string()} does not answer: {exc}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database(database_url):
    """An engine on the hosts' database, for checks the API cannot make."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def key_prefix():
    """Rate-limit (and shared cache) keys of this run in Redis; deleted afterwards."""
    prefix = f"mlapi-services-{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} does not answer: {exc}")
    yield prefix
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def metrics_dir(tmp_path_factory):
    """Host A's PROMETHEUS_MULTIPROC_DIR, given (host B gets a private one from gunicorn.conf.py),
    with a stale file of an earlier run in it that the start must remove."""
    directory = tmp_path_factory.mktemp("prometheus-a")
    (directory / "counter_999999.db").write_bytes(b"stale")
    return directory


@pytest.fixture(scope="session")
def hosts(tmp_path_factory, database_url, key_prefix, metrics_dir):
    """Hosts A and B, started at the same moment; stopped by PID at the end of the session."""
    secret = secrets.token_urlsafe(36)  # 48 bytes, the same on every host
    shared = {
        "MLAPI_ENV": "production",
        "MLAPI_SECRET_KEY": secret,
        "MLAPI_DATABASE_URL": database_url,
        "MLAPI_REDIS_URL": REDIS_URL,
        "MLAPI_RATELIMIT_KEY_PREFIX": key_prefix,
        "MLAPI_MODEL_STORE": "db",
        "MLAPI_AUTO_MIGRATE": "true",
        "MLAPI_WORKERS": str(WORKERS),
        "MLAPI_RATELIMIT_DEFAULT": f"{DEFAULT_BUDGET}/minute",
        "MLAPI_RATELIMIT_LOGIN": "1000/minute",
        # Behind a load balancer: each test's client sends its own X-Forwarded-For, so the
        # per-address budgets (registration) of one test never reach another's.
        "MLAPI_TRUSTED_PROXIES": "1",
        "MLAPI_LOG_LEVEL": "INFO",
    }
    started: list[Host] = []
    for name in ("A", "B"):
        directory = tmp_path_factory.mktemp(f"host-{name.lower()}")
        port = free_port()
        extra = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)} if name == "A" else {}
        env = host_environment(
            **shared,
            **extra,
            MLAPI_BIND=f"127.0.0.1:{port}",
            MLAPI_INSTANCE_PATH=str(directory / "instance"),
        )
        started.append(Host(name, f"http://127.0.0.1:{port}", directory, env))
    try:
        for host in started:  # both masters, then four workers, in well under a second
            host.start()
        wait_until_ready(started)
        yield started
    finally:
        for host in started:  # both at once: each takes a few seconds
            host.terminate()
        for host in started:
            host.stop()
        for host in started:
            shutil.rmtree(host.directory / "instance", ignore_errors=True)


def wait_until_ready(hosts: list[Host], workers: int = WORKERS) -> None:
    """Each host answers ``/readyz`` with 200 and ``workers`` of its workers have booted."""
    deadline = time.monotonic() + START_TIMEOUT
    waiting = list(hosts)
    last: dict[str, str] = {}
    while waiting and time.monotonic() < deadline:
        for host in list(waiting):
            if host.process.poll() is not None:
                pytest.fail(
                    f"host {host.name} exited with {host.process.returncode} "
                    f"during start:\n{host.log()}"
                )
            try:
                response = host.get("/readyz", timeout=5)
                last[host.name] = f"{response.status_code} {response.text.strip()}"
                if response.status_code == 200 and host.workers_ready() >= workers:
                    waiting.remove(host)
            except requests.RequestException as exc:  # not listening, or workers booting
                last[host.name] = type(exc).__name__
        time.sleep(0.25)
    if waiting:
        logs = "\n".join(
            f"--- host {h.name} (last /readyz: {last.get(h.name)}) ---\n{h.log()}" for h in waiting
        )
        pytest.fail(f"not ready within {START_TIMEOUT:.0f} s:\n{logs}")


@pytest.fixture
def host_a(hosts) -> Host:
    return hosts[0]


@pytest.fixture
def host_b(hosts) -> Host:
    return hosts[1]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report carries the log of each host."""
    report = yield
    if report.failed:
        for host in item.funcargs.get("hosts") or []:
            report.sections.append((f"gunicorn host {host.name} ({host.log_path})", host.log()))
    return report
