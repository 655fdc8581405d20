"""Service figures for admins, and the in-process recorder behind the per-endpoint ones."""

import threading

import pytest

from mlapi.ops.recorder import RESERVOIR_SIZE, EndpointRecorder
from tests.unit.helpers import ROW

STATS = "/api/v1/admin/stats"
PREDICT = "/api/v1/predict"


def figures_for(stats: dict, method: str, endpoint: str) -> dict | None:
    return next(
        (
            row
            for row in stats["endpoints"]
            if (row["method"], row["endpoint"]) == (method, endpoint)
        ),
        None,
    )


def test_stats_count_users_models_and_predictions(
    client, admin_headers, auth_headers, upload_model
):
    before = client.get(STATS, headers=admin_headers).get_json()
    upload_model(auth_headers, "kept")
    gone = upload_model(auth_headers, "gone")
    assert client.delete(f"/api/v1/models/{gone['id']}", headers=auth_headers).status_code == 204
    client.post(PREDICT, json={"features": ROW}, headers=auth_headers)

    after = client.get(STATS, headers=admin_headers).get_json()

    assert (before["users"], before["models"], before["predictions"]) == (2, 1, 0)
    assert (after["users"], after["models"], after["predictions"]) == (2, 2, 1)


def test_stats_count_requests_per_endpoint_with_templated_paths(
    client, admin_headers, auth_headers
):
    for _ in range(3):
        client.post(PREDICT, json={"features": ROW}, headers=auth_headers)
    client.get("/api/v1/predictions/12345", headers=auth_headers)
    client.get("/no/such/page")

    stats = client.get(STATS, headers=admin_headers).get_json()

    predict = figures_for(stats, "POST", PREDICT)
    assert predict["count"] == 3
    assert predict["p95_ms"] > 0
    assert figures_for(stats, "GET", "/api/v1/predictions/{prediction_id}")["count"] == 1
    assert not any("no/such" in row["endpoint"] for row in stats["endpoints"])


def test_stats_change_with_every_request(client, admin_headers):
    first = figures_for(client.get(STATS, headers=admin_headers).get_json(), "GET", STATS)
    second = figures_for(client.get(STATS, headers=admin_headers).get_json(), "GET", STATS)

    assert second["count"] == (first["count"] if first else 0) + 1


def test_p95_is_the_nearest_rank_percentile():
    recorder = EndpointRecorder(seed=1)
    for duration in range(1, 101):
        recorder.record("GET", "/x", float(duration))

    assert recorder.snapshot() == [
        {"method": "GET", "endpoint": "/x", "count": 100, "p95_ms": 95.0}
    ]


def test_memory_stays_bounded_while_the_count_stays_exact():
    recorder = EndpointRecorder(seed=1)
    for duration in range(RESERVOIR_SIZE * 5):
        recorder.record("GET", "/x", float(duration % 100))

    (row,) = recorder.snapshot()
    figures = recorder._figures[("GET", "/x")]
    assert row["count"] == RESERVOIR_SIZE * 5
    assert len(figures.samples) == RESERVOIR_SIZE
    assert row["p95_ms"] == pytest.approx(95, abs=3)


def test_recording_from_many_threads_loses_no_request():
    recorder = EndpointRecorder(seed=1)
    threads = [
        threading.Thread(target=lambda: [recorder.record("POST", "/y", 1.0) for _ in range(500)])
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert recorder.snapshot()[0]["count"] == 4000


def test_busiest_endpoints_come_first():
    recorder = EndpointRecorder()
    recorder.record("GET", "/quiet", 1.0)
    recorder.record("GET", "/busy", 1.0)
    recorder.record("GET", "/busy", 1.0)

    assert [row["endpoint"] for row in recorder.snapshot()] == ["/busy", "/quiet"]
