"""Two hosts, one truth (issue 8): what one host does, the other sees at once.

Two gunicorn instances (conftest.py) share PostgreSQL, Redis and the ``db`` model store, and
nothing else; the client is ``requests``, over real sockets.
"""

import io
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
import sqlalchemy as sa
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from .conftest import DEFAULT_BUDGET, WORKERS, Host

PASSWORD = "correct-horse-battery-staple"
ROW = [0.038, 0.050, 0.061, 0.021, -0.044, -0.034, -0.043, -0.002, 0.019, -0.017]


class Client:
    """One user of the API, behind the load balancer at an address of its own."""

    def __init__(self, username: str):
        self.username = username
        self.forwarded = {"X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250 + 1}"}
        self.token: str | None = None

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}", **self.forwarded}

    def register_and_login(self, host: Host) -> "Client":
        body = {
            "username": self.username,
            "email": f"{self.username}@example.com",
            "password": PASSWORD,
        }
        created = host.post("/api/v1/auth/register", json=body, headers=self.forwarded)
        assert created.status_code == 201, created.text
        return self.login(host)

    def login(self, host: Host) -> "Client":
        signed_in = host.post(
            "/api/v1/auth/login",
            headers=self.forwarded,
            json={"username": self.username, "password": PASSWORD},
        )
        assert signed_in.status_code == 200, signed_in.text
        self.token = signed_in.json()["access_token"]
        return self


@pytest.fixture
def user() -> Client:
    return Client(f"u{uuid.uuid4().hex[:10]}")


def ridge_archive() -> tuple[bytes, float]:
    """A skops archive of a Ridge fitted on the diabetes data, and its answer for ROW."""
    data = load_diabetes()
    model = Ridge(alpha=0.5).fit(data.data, data.target)
    return sio.dumps(model), float(model.predict(np.array([ROW]))[0])


def test_first_start_on_both_hosts_at_once_creates_everything_once(hosts, database):
    """Four workers on two hosts migrated and bootstrapped one empty database at the same
    moment: every worker booted, and there is one schema version, one system account and
    one default model, seen by both."""
    for host in hosts:
        assert host.process.poll() is None, f"host {host.name} stopped"
        log = host.full_log()
        assert "Exception in worker process" not in log, f"a worker of {host.name} failed"
        assert host.workers_ready() == WORKERS
    with database.connect() as connection:

        def scalar(sql: str):
            return connection.execute(sa.text(sql)).scalar_one()

        assert scalar("SELECT count(*) FROM alembic_version") == 1
        assert scalar("SELECT count(*) FROM users WHERE username_key = 'mlapi-system'") == 1
        # The hosts serve the whole session: tests that ran before may have uploaded more.
        system_models = (
            "SELECT count(*) FROM ml_models m JOIN users u ON u.id = m.owner_id"
            " WHERE u.username_key = 'mlapi-system'"
        )
        assert scalar(system_models) == 1
        assert scalar("SELECT count(*) FROM ml_models WHERE is_default") == 1
    defaults = {host.name: host.get("/health").json()["default_model"] for host in hosts}
    assert defaults["A"] == defaults["B"]
    assert defaults["A"]["version"] == 1


def test_a_model_uploaded_on_one_host_answers_on_the_other(host_a, host_b, user):
    user.register_and_login(host_a)
    archive, expected = ridge_archive()

    uploaded = host_a.post(
        "/api/v1/models",
        headers=user.auth,
        data={"name": "ridge", "model_type": "sklearn"},
        files={"file": ("ridge.skops", io.BytesIO(archive))},
    )
    assert uploaded.status_code == 201, uploaded.text
    model = uploaded.json()

    seen = host_b.get(f"/api/v1/models/{model['id']}", headers=user.auth)
    assert seen.status_code == 200, seen.text
    assert seen.json()["sha256"] == model["sha256"]
    answered = host_b.post(
        f"/api/v1/models/{model['id']}/predict", headers=user.auth, json={"features": ROW}
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["model_id"] == model["id"]
    assert answered.json()["prediction"] == pytest.approx(expected)


def test_a_logout_on_one_host_refuses_the_token_on_the_other(host_a, host_b, user):
    user.register_and_login(host_a)
    assert host_b.get("/api/v1/users/me", headers=user.auth).status_code == 200

    assert host_a.post("/api/v1/auth/logout", headers=user.auth).status_code == 204

    for host in (host_b, host_a):
        refused = host.get("/api/v1/users/me", headers=user.auth)
        assert refused.status_code == 401, (host.name, refused.text)
        assert refused.json()["code"] == "token_revoked"


def test_a_rate_limit_counts_the_requests_of_both_hosts(host_a, host_b, user):
    user.register_and_login(host_a)
    alternating = [host_a, host_b] * DEFAULT_BUDGET

    remaining = []
    for host in alternating[:DEFAULT_BUDGET]:
        allowed = host.get("/api/v1/users/me", headers=user.auth)
        assert allowed.status_code == 200, (host.name, allowed.text)
        remaining.append(int(allowed.headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(DEFAULT_BUDGET - 1, -1, -1))

    for host in alternating[DEFAULT_BUDGET : DEFAULT_BUDGET + 2]:  # one more on each host
        limited = host.get("/api/v1/users/me", headers=user.auth)
        assert limited.status_code == 429, (host.name, limited.text)
        assert limited.json()["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) > 0


def test_a_key_revoked_on_one_host_stops_working_on_the_other(host_a, host_b, user):
    user.register_and_login(host_a)
    created = host_a.post("/api/v1/auth/api-keys", headers=user.auth, json={"name": "job"})
    assert created.status_code == 201, created.text
    key = {"X-API-Key": created.json()["key"], **user.forwarded}
    for host in (host_a, host_b):  # the key works everywhere (and is in any cache)
        answered = host.post("/api/v1/predict", headers=key, json={"features": ROW})
        assert answered.status_code == 200, (host.name, answered.text)

    deleted = host_b.delete(f"/api/v1/auth/api-keys/{created.json()['id']}", headers=user.auth)
    assert deleted.status_code == 204, deleted.text

    refused = host_a.post("/api/v1/predict", headers=key, json={"features": ROW})
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "api_key_invalid"


def test_a_spent_sign_in_budget_holds_on_every_host_and_worker(host_a, host_b, user):
    """Issue 14, item 2: the failures are counted in the database, not per process."""
    user.register_and_login(host_a)
    guesses = [
        host.post(
            "/api/v1/auth/login",
            json={"username": user.username.upper(), "password": f"wrong-{n}"},
            headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
        )
        for n, host in enumerate([host_a, host_b] * 5)
    ]
    assert [g.status_code for g in guesses] == [401] * 10

    for host in (host_a, host_b):  # the right password too, from a new device
        refused = host.post(
            "/api/v1/auth/login",
            headers=user.forwarded,
            json={"username": f"{user.username}@example.com", "password": PASSWORD},
        )
        assert refused.status_code == 429, (host.name, refused.text)
        assert int(refused.headers["Retry-After"]) > 0


def test_a_reactivation_on_one_host_leaves_old_tokens_revoked_on_the_other(host_a, host_b, user):
    """Issue 14, item 11: deactivation revokes every sign-in, on every host at once."""
    admin = Client(f"admin{uuid.uuid4().hex[:8]}")
    create_admin(host_a, admin.username)
    admin.login(host_a)
    user.register_and_login(host_a)
    created = host_a.post("/api/v1/auth/api-keys", headers=user.auth, json={"name": "job"})
    key = {"X-API-Key": created.json()["key"], **user.forwarded}
    me = "/api/v1/users/me"
    profile = host_b.get(me, headers=user.auth)  # now in host B's cache
    assert profile.status_code == 200, profile.text

    for host, active in ((host_a, False), (host_b, True)):
        changed = host.request(
            "PATCH",
            f"/api/v1/admin/users/{profile.json()['id']}",
            headers=admin.auth,
            json={"is_active": active},
        )
        assert changed.status_code == 200, changed.text

    for host in (host_a, host_b):
        refused = host.get(me, headers=user.auth)
        assert refused.status_code == 401, (host.name, refused.text)
        assert refused.json()["code"] == "token_revoked"
        assert host.get(me, headers=key).status_code == 200  # the key works again
    assert host_b.get(me, headers=user.login(host_b).auth).status_code == 200


def livez_per_worker(directory: Path) -> dict[str, float]:
    """``/livez`` requests per worker, read from each worker's own histogram file."""
    counts = {}
    for path in directory.glob("histogram_*.db"):
        for metric in MultiProcessCollector.merge([str(path)]):
            for sample in metric.samples:
                if (
                    sample.name == "mlapi_http_request_duration_seconds_count"
                    and sample.labels.get("endpoint") == "/livez"
                ):
                    counts[path.stem] = counts.get(path.stem, 0) + sample.value
    return counts


def scraped_livez(host: Host) -> float:
    text = host.get("/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "mlapi_http_request_duration_seconds_count"
        and sample.labels.get("endpoint") == "/livez"
    )


def create_admin(host: Host, username: str) -> None:
    """``flask create-admin`` on the host, as an operator would."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "create-admin",
            "--username",
            username,
            "--email",
            f"{username}@example.com",
            "--password-stdin",
        ],
        input=f"{PASSWORD}\n",
        cwd=host.directory,
        env=host.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_metrics_and_admin_stats_cover_every_worker_of_a_host(host_a, metrics_dir):
    """Host A's /metrics (and admin stats) sum the requests of both of its workers, from
    the PROMETHEUS_MULTIPROC_DIR gunicorn.conf.py emptied at start."""
    assert not (metrics_dir / "counter_999999.db").exists()  # the stale file is gone
    before = scraped_livez(host_a)
    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Concurrent requests until each worker has answered some (one sync worker
        # answers one request at a time, so the other takes the rest).
        for _ in range(25):
            statuses = list(pool.map(lambda _: host_a.get("/livez").status_code, range(16)))
            assert statuses == [200] * 16
            sent += 16
            if len([n for n in livez_per_worker(metrics_dir).values() if n]) >= WORKERS:
                break
    per_worker = livez_per_worker(metrics_dir)
    assert len([n for n in per_worker.values() if n]) == WORKERS, per_worker

    for _ in range(3):  # whichever worker answers the scrape, it reports both
        assert scraped_livez(host_a) == before + sent == sum(per_worker.values())

    admin = Client(f"admin{uuid.uuid4().hex[:8]}")
    create_admin(host_a, admin.username)
    admin.login(host_a)
    stats = host_a.get("/api/v1/admin/stats", headers=admin.auth)
    assert stats.status_code == 200, stats.text
    livez = next(
        row
        for row in stats.json()["endpoints"]
        if (row["method"], row["endpoint"]) == ("GET", "/livez")
    )
    assert livez["count"] == before + sent
