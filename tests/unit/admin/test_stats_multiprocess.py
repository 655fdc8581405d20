"""Admin stats over every worker of a host: read from Prometheus' multiprocess files."""

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlapi.ops.recorder import (
    HTTP_HISTOGRAM,
    UNMATCHED,
    EndpointRecorder,
    MultiprocessEndpointRecorder,
    histogram_quantile,
    recorder,
    register_endpoint_recorder,
)

ROOT = Path(__file__).resolve().parents[3]
INF = math.inf


def test_quantile_interpolates_inside_the_bucket_holding_the_rank():
    # 100 observations: 50 up to 0.1 s, 40 more up to 0.5 s, 10 more up to 1 s.
    cumulative = {0.1: 50, 0.5: 90, 1.0: 100, INF: 100}
    # rank 95 lies halfway through the (0.5, 1.0] bucket
    assert histogram_quantile(0.95, cumulative) == pytest.approx(0.75)
    assert histogram_quantile(0.5, cumulative) == pytest.approx(0.1)
    assert histogram_quantile(0.25, cumulative) == pytest.approx(0.05)


def test_quantile_in_the_inf_bucket_answers_the_highest_finite_bound():
    assert histogram_quantile(0.95, {0.1: 1, 10.0: 2, INF: 10}) == 10.0


def test_quantile_of_nothing_is_zero():
    assert histogram_quantile(0.95, {}) == 0.0
    assert histogram_quantile(0.95, {0.1: 0, INF: 0}) == 0.0


def test_the_in_process_recorder_without_prometheus_multiproc_dir(app, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    register_endpoint_recorder(app)
    assert isinstance(recorder(app), EndpointRecorder)


def test_a_missing_directory_keeps_the_in_process_recorder(app, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "nowhere"))
    register_endpoint_recorder(app)
    assert isinstance(recorder(app), EndpointRecorder)


def test_an_empty_directory_has_no_figures(tmp_path):
    figures = MultiprocessEndpointRecorder(str(tmp_path))
    figures.record("GET", "/livez", 1.0)  # the exporter's histogram is the record
    assert figures.snapshot() == []


def test_counts_and_p95_per_endpoint_summed_over_the_files_of_every_worker(tmp_path, monkeypatch):
    from prometheus_client import CollectorRegistry, Counter, Histogram, values

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    observed = {
        101: [("GET", "200", "/livez", 0.003)] * 3 + [("GET", "404", UNMATCHED, 0.001)],
        102: [
            ("GET", "200", "/livez", 0.003),
            ("GET", "503", "/livez", 0.2),
            ("POST", "200", "/api/v1/predict", 0.02),
            ("POST", "200", "/api/v1/predict", 0.02),
        ],
    }
    for pid, requests in observed.items():  # one histogram file per worker process
        monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(lambda pid=pid: pid))
        registry = CollectorRegistry()
        Counter("mlapi_other_total", "Not a request series.", registry=registry).inc()
        histogram = Histogram(
            HTTP_HISTOGRAM,
            "Request durations.",
            ["method", "status", "endpoint"],
            registry=registry,
        )
        for method, status, endpoint, seconds in requests:
            histogram.labels(method, status, endpoint).observe(seconds)

    rows = MultiprocessEndpointRecorder(str(tmp_path)).snapshot()

    # /livez: 5 requests, 4 within 5 ms and 1 in (100 ms, 250 ms]: rank 4.75 lies 3/4 of
    # the way through that bucket. Statuses are summed; unmatched requests are left out.
    assert rows == [
        {"method": "GET", "endpoint": "/livez", "count": 5, "p95_ms": 212.5},
        {"method": "POST", "endpoint": "/api/v1/predict", "count": 2, "p95_ms": 24.25},
    ]


WORKER = textwrap.dedent("""
    import json, sys
    from mlapi import create_app
    from mlapi.ops.recorder import recorder
    base = sys.argv[1]
    app = create_app({"ENV": "testing", "BOOTSTRAP": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base}/m.db",
                      "MODEL_STORE": f"{base}/models", "INSTANCE_PATH": f"{base}/instance"})
    client = app.test_client()
    for _ in range(int(sys.argv[2])):
        assert client.get("/livez").status_code == 200
    client.get("/no/such/page")
    client.get("/metrics")
    print(json.dumps(recorder(app).snapshot()))
""")


@pytest.mark.slow
def test_stats_sum_the_requests_of_every_process(tmp_path):
    """Two processes (two gunicorn workers) write to one directory; the second one's
    figures include the first one's requests. Processes of their own: prometheus_client
    reads PROMETHEUS_MULTIPROC_DIR when it is imported."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}

    def worker(name: str, requests: int) -> list[dict]:
        base = tmp_path / name
        base.mkdir()
        done = subprocess.run(
            [sys.executable, "-c", WORKER, str(base), str(requests)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    first = worker("a", 2)
    second = worker("b", 3)

    assert first == [
        {"method": "GET", "endpoint": "/livez", "count": 2, "p95_ms": first[0]["p95_ms"]}
    ]
    assert [(r["method"], r["endpoint"], r["count"]) for r in second] == [
        ("GET", "/livez", 5)
    ]  # unmatched paths and /metrics scrapes are not counted
    assert 0 < second[0]["p95_ms"] <= 10_000  # within the histogram's finite buckets
