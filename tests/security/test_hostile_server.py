"""The outside tester's crash files against a real server (issue 14, item 1).

A ``DecisionTreeRegressor`` whose root reads feature 10**9 killed ``flask run`` outright at
its first predict (SIGSEGV), and one whose root is its own child on both sides kept a
worker at 100 % CPU forever. Here a real ``flask run`` (one process: a crash ends the
whole server) on SQLite in a temporary instance folder is given each file twice: planted
in its store behind a genuine model's record (the path an upload check alone would not
cover), then uploaded. Both are refused and the server still answers ``/livez``.
Before the fix the planted file's predict killed the server or never answered.
"""

import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.hostile_models import DIABETES_ROW, genuine, old_crash_file

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = secrets.token_urlsafe(16)
ANSWER_WITHIN = 30  # seconds: far beyond a predict; the self-loop never answers at all


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, instance: Path):
        self.instance = instance
        instance.mkdir()
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLAPI_")}
        env.update(
            MLAPI_ENV="development",
            MLAPI_INSTANCE_PATH=str(instance),
            MLAPI_SECRET_KEY=secrets.token_hex(32),
            MLAPI_LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
            OMP_NUM_THREADS="1",
        )
        self.log = (instance / "server.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "run",
                "--no-reload",
                "--no-debugger",
                "--port",
                self.url.rsplit(":", 1)[1],
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_up(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                if requests.get(f"{self.url}/livez", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not start:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        return (self.instance / "server.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a worker spinning in a self-looping tree
            self.process.kill()
            self.process.wait()
        self.log.close()

    def sign_in(self) -> dict:
        user = {"username": "mallory", "email": "mallory@example.com", "password": PASSWORD}
        assert (
            requests.post(f"{self.url}/api/v1/auth/register", json=user, timeout=10).status_code
            == 201
        )
        tokens = requests.post(
            f"{self.url}/api/v1/auth/login",
            timeout=10,
            json={"username": "mallory", "password": PASSWORD},
        ).json()
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    def upload(self, headers: dict, content: bytes) -> requests.Response:
        return requests.post(
            f"{self.url}/api/v1/models",
            headers=headers,
            timeout=30,
            data={"name": "tree", "model_type": "sklearn"},
            files={"file": ("tree.skops", content)},
        )

    def plant(self, model_id: int, content: bytes) -> None:
        """What a restored backup or a hand-copied file does: the record now names bytes
        that no upload checked."""
        import hashlib

        digest = hashlib.sha256(content).hexdigest()
        path = self.instance / "models" / digest[:2] / digest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        with sqlite3.connect(self.instance / "mlapi.db") as database:
            database.execute("UPDATE ml_models SET sha256 = ? WHERE id = ?", (digest, model_id))


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path / "instance")
    try:
        running.wait_until_up()
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("corruption", ["feature_out_of_range", "self_loop"])
def test_the_old_crash_files_are_refused_and_the_server_keeps_answering(server, corruption):
    headers = server.sign_in()
    planted = server.upload(headers, genuine("decision_tree"))
    assert planted.status_code == 201, planted.text
    server.plant(planted.json()["id"], old_crash_file(corruption))

    answer = requests.post(
        f"{server.url}/api/v1/models/{planted.json()['id']}/predict",
        json={"features": DIABETES_ROW},
        headers=headers,
        timeout=ANSWER_WITHIN,
    )
    uploaded = server.upload(headers, old_crash_file(corruption))

    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "model_unavailable"
    assert uploaded.status_code == 422, uploaded.text
    assert uploaded.json()["code"] == "model_load_error"
    assert requests.get(f"{server.url}/livez", timeout=10).status_code == 200
    assert server.process.poll() is None, server.output()
