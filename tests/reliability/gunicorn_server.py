"""One gunicorn worker of mlapi on a SQLite file of its own, over a real socket: what the
framing and export-abort tests talk to (the test client never frames a response)."""

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # seconds until /livez answers


@dataclass
class Server:
    url: str
    port: int
    database: Path
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/livez", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def one_worker_gunicorn(folder: Path) -> Iterator[Server]:
    """Start gunicorn (``gunicorn.conf.py``, one worker, rate limits off) with its files in
    ``folder``; stop it by its PID on the way out."""
    port = free_port()
    database = folder / "mlapi.db"
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLAPI_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "MLAPI_BIND": f"127.0.0.1:{port}",
            "MLAPI_WORKERS": "1",
            "MLAPI_SECRET_KEY": secrets.token_urlsafe(48),
            "MLAPI_DATABASE_URL": f"sqlite:///{database}",
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
        while not answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()[-5000:]}")
            time.sleep(0.2)
        yield Server(url, port, database, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
