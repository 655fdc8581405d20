"""Start and stop mlapi (and the benchmark's floor app) under gunicorn for load/ and bench/.

Standard library plus psycopg (an app dependency): run with the app's Python. Everything
started here is stopped by its PID, and every database created here is dropped again.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
PG_ADMIN_URL = os.environ.get("MLAPI_PERF_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("MLAPI_PERF_REDIS", "redis://127.0.0.1:6379/0")
NO_LIMIT = "1000000/minute"
RAISED_LIMITS = {
    name: NO_LIMIT
    for name in (
        "MLAPI_RATELIMIT_PREDICT",
        "MLAPI_RATELIMIT_DEFAULT",
        "MLAPI_RATELIMIT_LOGIN",
        "MLAPI_RATELIMIT_LOGIN_ACCOUNT",
    )
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned_threads(env: dict) -> dict:
    """One thread per worker for numpy/BLAS/OpenMP (set before any worker imports numpy)."""
    return {**env, **dict.fromkeys(THREAD_VARIABLES, "1")}


# -- PostgreSQL -------------------------------------------------------------------------------
def _admin_connection():
    import psycopg  # an app dependency; imported late so --help works anywhere

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


def create_database(prefix: str) -> tuple[str, str]:
    """A new empty database: (name, SQLAlchemy URL for the app)."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return name, f"{base}/{name}"


def drop_database(name: str) -> None:
    """Drop the run's database; a failure is reported, never raised (this runs in cleanup)."""
    try:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:
        print(f"!! could not drop database {name}: {exc}", file=sys.stderr)


def redis_ok(url: str = REDIS_URL) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except Exception:
        return False


# -- HTTP -------------------------------------------------------------------------------------
def call(
    base: str,
    method: str,
    path: str,
    body: dict | None = None,
    headers: dict | None = None,
    timeout: float = 30,
) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310
        base + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw or b"{}")
    except ValueError:
        return status, {"raw": raw[:200].decode(errors="replace")}


def register_and_login(base: str, username: str, password: str) -> str:
    """Create an account through the API; its access token."""
    status, answer = call(
        base,
        "POST",
        "/api/v1/auth/register",
        {"username": username, "email": f"{username}@example.com", "password": password},
    )
    if status != 201:
        raise RuntimeError(f"register {username}: {status} {answer}")
    status, answer = call(
        base, "POST", "/api/v1/auth/login", {"username": username, "password": password}
    )
    if status != 200:
        raise RuntimeError(f"login {username}: {status} {answer}")
    return answer["access_token"]


def create_api_key(base: str, token: str, name: str = "bench") -> str:
    status, answer = call(
        base, "POST", "/api/v1/auth/api-keys", {"name": name}, {"Authorization": f"Bearer {token}"}
    )
    if status != 201:
        raise RuntimeError(f"api key: {status} {answer}")
    return answer["key"]


# -- servers ----------------------------------------------------------------------------------
class Server:
    """A gunicorn master started in its own session; ``stop()`` ends it by its PID."""

    def __init__(
        self, name: str, argv: list[str], env: dict, log_path: Path, ready_path: str, port: int
    ):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log_path
        self.ready_path, self.port = ready_path, port
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> Server:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(  # noqa: S603
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode} while "
                    f"starting:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError):
                status, _ = call(self.base, "GET", self.ready_path, timeout=5)
                if status == 200:
                    return self
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, grace: float = 20) -> None:
        """SIGTERM to the master's PID (gunicorn stops its workers), then SIGKILL its group."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group is the master's PID
            process.wait(5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def gunicorn_argv(app: str, port: int, workers: int = 2, use_conf: bool = True) -> list[str]:
    """The repository's gunicorn.conf.py when there is one (mlapi), else equivalent flags."""
    if use_conf and GUNICORN_CONF.exists():
        return [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), app]
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--keep-alive",
        "5",
        "--control-socket-disable",
        app,
    ]


def mlapi_env(
    workdir: Path,
    port: int,
    *,
    database_url: str | None,
    redis_url: str | None,
    db_store: bool,
    limits: dict,
    workers: int = 2,
    extra: dict | None = None,
) -> dict:
    """Environment of a production-profile mlapi: generated secret, the given backends."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLAPI_", "PROMETHEUS_", "GUNICORN_"))
    }
    instance = workdir / "instance"
    metrics = workdir / "prometheus"
    metrics.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "MLAPI_ENV": "production",
            "MLAPI_SECRET_KEY": secrets.token_urlsafe(48),
            "MLAPI_INSTANCE_PATH": str(instance),
            "MLAPI_BIND": f"127.0.0.1:{port}",
            "MLAPI_WORKERS": str(workers),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            "MLAPI_RATELIMIT_KEY_PREFIX": f"mlapi-perf-{secrets.token_hex(4)}",
            **limits,
        }
    )
    if database_url:
        env["MLAPI_DATABASE_URL"] = database_url
    if redis_url:
        env["MLAPI_REDIS_URL"] = redis_url
    env["MLAPI_MODEL_STORE"] = "db" if db_store else str(instance / "models")
    env.update(extra or {})
    return pinned_threads(env)


def migrate(env: dict, log_path: Path) -> None:
    """``flask db upgrade``: production does not migrate at start."""
    with open(log_path, "ab") as log:
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    if done.returncode:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"flask db upgrade failed ({done.returncode}):\n{tail}")


def tear_down(server: Server | None, database: str | None, workdir: Path, show_log: bool) -> None:
    """Everything a run started, undone on every exit path: the server stopped by its PID
    (its log tail printed first when ``show_log``), the database dropped, the folder gone."""
    if server is not None:
        if show_log:
            print("-- server log (tail):\n" + server.log_tail(15), file=sys.stderr)
        server.stop()
    if database is not None:
        drop_database(database)
    shutil.rmtree(workdir, ignore_errors=True)
