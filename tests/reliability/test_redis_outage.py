"""Redis configured but down, or dying while the app serves: nothing fails because of it.

Redis only speeds things up: while it is down every request is answered, limits
are counted per process instead of shared, and ``/health`` says ``cache: "unavailable"``
with a 200. Already covered elsewhere, and not repeated here:

- tests/unit/test_limits_redis.py: ``/health`` with Redis down from the start; sign-ins and
  the default (per-caller) budget held per process with Redis down from the start;
- tests/unit/predictions/test_shared_cache.py: predictions answered and cached in the
  process with the shared tier down, and Redis not asked again until its retry is due.

These tests add the prediction budget and the per-account sign-in budget with Redis down,
and an outage that starts mid-run: a Redis server of the test's own, stopped (by its own
process id) while the app is serving, then started again.
"""

import shutil
import socket
import subprocess
import time

import pytest
import redis

from tests.support.servers import DOWN_REDIS_URL, needs_redis
from tests.unit.helpers import ROW, assert_problem

LOGIN = "/api/v1/auth/login"
PREDICT = "/api/v1/predict"


def predict(client, headers):
    return client.post(PREDICT, json={"features": ROW}, headers=headers)


def sign_in(client, username: str, password: str):
    return client.post(LOGIN, json={"username": username, "password": password})


def test_the_prediction_budget_holds_per_process_while_redis_is_down(configured_app, request):
    """The four prediction endpoints share one budget per credential; Redis being down
    must neither fail them nor lift the limit."""
    configured_app(REDIS_URL=DOWN_REDIS_URL, RATELIMIT_PREDICT="3/minute")
    client, headers = request.getfixturevalue("client"), request.getfixturevalue("auth_headers")
    default_id = client.get("/health").get_json()["default_model"]["id"]

    answers = [
        predict(client, headers),
        client.post("/api/v1/batch-predict", json={"samples": [ROW, ROW]}, headers=headers),
        client.post(
            f"/api/v1/models/{default_id}/predict", json={"features": ROW}, headers=headers
        ),
        predict(client, headers),
    ]

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert_problem(answers[-1], 429, "rate_limited")
    assert int(answers[-1].headers["Retry-After"]) > 0
    history = client.get("/api/v1/predictions", headers=headers)  # another budget
    assert history.status_code == 200
    assert history.get_json()["total"] == 4  # every answered sample was recorded


def test_failed_sign_ins_are_limited_per_account_and_the_owner_still_gets_in(
    configured_app, request
):
    """The per-account budget is counted in the database: Redis being down changes nothing.
    The owner's client signed in before (a known device); the guessers' clients did not."""
    app = configured_app(REDIS_URL=DOWN_REDIS_URL, RATELIMIT_LOGIN_ACCOUNT="2/minute")
    client, user = request.getfixturevalue("client"), request.getfixturevalue("user")
    assert sign_in(client, user.username, user.password).status_code == 200

    guesses = [sign_in(app.test_client(), user.username, f"guess-{n}-wrong") for n in range(3)]

    assert [r.status_code for r in guesses] == [401, 401, 429]
    assert_problem(guesses[-1], 429, "rate_limited")
    assert_problem(sign_in(app.test_client(), user.username, user.password), 429, "rate_limited")
    assert sign_in(client, user.username, user.password).status_code == 200


class RedisServer:
    """A Redis of the test's own on a free port, which the test may stop and start."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 5
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)

    def keys(self, pattern: str) -> list:
        return redis.Redis.from_url(self.url).keys(pattern)


@pytest.fixture
def own_redis():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@needs_redis
def test_redis_dying_mid_run_fails_no_request_and_limits_still_apply(
    configured_app, request, own_redis
):
    app = configured_app(
        REDIS_URL=own_redis.url, RATELIMIT_DEFAULT="4/minute", RATELIMIT_LOGIN="1000/minute"
    )
    client, user = request.getfixturevalue("client"), request.getfixturevalue("user")
    headers = request.getfixturevalue("auth_headers")
    me = "/api/v1/users/me"
    assert client.get(me, headers=headers).status_code == 200
    assert client.get("/health").get_json()["cache"] == "ok"
    assert own_redis.keys(f"*{app.config['RATELIMIT_KEY_PREFIX']}*")  # counted in Redis

    own_redis.stop()

    health = client.get("/health")
    assert (health.status_code, health.get_json()["cache"]) == (200, "unavailable")
    assert predict(client, headers).status_code == 200
    assert sign_in(client, user.username, user.password).status_code == 200
    statuses = [client.get(me, headers=headers).status_code for _ in range(6)]
    # Counting starts afresh in the process (the shared count is out of reach): the whole
    # budget once more, then 429: loosened for the outage, never lifted.
    assert statuses == [200, 200, 200, 200, 429, 429]

    own_redis.start()

    assert client.get("/health").get_json()["cache"] == "ok"
    assert predict(client, headers).status_code == 200
