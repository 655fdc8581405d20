"""GET /metrics: Prometheus text, requests by route template and status, predictions by
model, the prediction cache and webhook deliveries; one registry per app."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
from prometheus_client.parser import text_string_to_metric_families
from prometheus_flask_exporter import __version__ as exporter_version

from mlapi import create_app
from mlapi.counters import count_webhook_delivery
from mlapi.extensions import db
from tests.contract_client import ContractClient
from tests.unit.helpers import row

DURATION = "mlapi_http_request_duration_seconds"
ROOT = Path(__file__).resolve().parents[3]


def scrape(client) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics: (name, labels) -> value."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests_of(samples, endpoint: str, status: int, method: str = "GET") -> float:
    return value(samples, f"{DURATION}_count", endpoint=endpoint, status=str(status), method=method)


def test_metrics_answers_prometheus_text_without_credentials(client):
    samples = scrape(client)  # no Authorization, no X-API-Key

    assert value(samples, "mlapi_exporter_info", version=exporter_version) == 1.0
    assert ("mlapi_prediction_cache_lookups_total", frozenset({("result", "hit")})) in samples


def test_requests_are_counted_by_route_template_and_status(client, auth_headers):
    client.get("/livez")
    client.get("/livez")
    client.get("/api/v1/models/424242", headers=auth_headers)
    client.get("/api/v1/models/7")  # no credentials

    samples = scrape(client)

    assert requests_of(samples, "/livez", 200) == 2
    assert requests_of(samples, "/api/v1/models/{model_id}", 404) == 1
    assert requests_of(samples, "/api/v1/models/{model_id}", 401) == 1
    assert value(samples, "mlapi_http_request_total", method="GET", status="200") >= 2
    buckets = [
        labels
        for name, labels in samples
        if name == f"{DURATION}_bucket" and ("endpoint", "/livez") in labels
    ]
    assert ("le", "0.1") in {item for labels in buckets for item in labels}


def test_an_unknown_url_gets_no_label_of_its_own(client):
    client.get("/no/such/page-4711?token=abc")

    samples = scrape(client)

    assert requests_of(samples, "(unmatched)", 404) == 1
    label_values = {v for _, labels in samples for _, v in labels}
    assert not any("4711" in v or "no/such" in v for v in label_values)


def test_scrapes_are_not_counted_as_requests(client):
    scrape(client)
    samples = scrape(client)

    assert not any(("endpoint", "/metrics") in labels for _, labels in samples)


def test_predictions_are_counted_by_model_and_cache_hits_and_misses(client, auth_headers):
    before = scrape(client)
    features = row(0.4242)

    answers = [
        client.post("/api/v1/predict", json={"features": features}, headers=auth_headers).get_json()
        for _ in range(2)
    ]
    after = scrape(client)

    assert [a["cached"] for a in answers] == [False, True]
    model = {
        "model_id": str(answers[0]["model_id"]),
        "model_version": str(answers[0]["model_version"]),
    }

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("mlapi_predictions_total", **model) == 2
    assert moved("mlapi_prediction_cache_lookups_total", result="miss") == 1
    assert moved("mlapi_prediction_cache_lookups_total", result="hit") == 1
    assert requests_of(after, "/api/v1/predict", 200, "POST") == 2


def test_batch_predictions_count_one_per_sample(client, auth_headers):
    before = scrape(client)
    samples = [row(0.5151), row(0.5252), row(0.5151)]

    response = client.post("/api/v1/batch-predict", json={"samples": samples}, headers=auth_headers)
    after = scrape(client)

    assert response.status_code == 200
    model = {
        "model_id": str(response.get_json()["model_id"]),
        "model_version": str(response.get_json()["model_version"]),
    }
    assert (
        value(after, "mlapi_predictions_total", **model)
        - value(before, "mlapi_predictions_total", **model)
        == 3
    )


def test_webhook_deliveries_are_exposed_by_outcome(client):
    before = scrape(client)
    count_webhook_delivery("failed")

    after = scrape(client)

    for outcome in ("delivered", "retrying", "failed", "refused"):
        assert ("mlapi_webhook_deliveries_total", frozenset({("outcome", outcome)})) in after
    name = "mlapi_webhook_deliveries_total"
    assert value(after, name, outcome="failed") - value(before, name, outcome="failed") == 1


def test_openmetrics_is_answered_when_asked_for(client):
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})

    assert response.status_code == 200
    assert response.mimetype == "application/openmetrics-text"
    names = {family.name for family in parse_om(response.get_data(as_text=True))}
    assert "mlapi_prediction_cache_lookups" in names


def test_each_app_has_its_own_request_series(app, app_config, client):
    """Many apps in one process (one per test): no "Duplicated timeseries" error, and one
    app's requests do not show in another's figures."""
    other = create_app(app_config)
    other.test_client_class = ContractClient
    other_client = other.test_client()
    other_client.get("/livez")
    client.get("/livez")
    client.get("/livez")

    assert requests_of(scrape(other_client), "/livez", 200) == 1
    assert requests_of(scrape(client), "/livez", 200) == 2
    with other.app_context():
        db.engine.dispose()


@pytest.mark.slow
def test_metrics_of_every_process_with_prometheus_multiproc_dir(tmp_path):
    """Under gunicorn each worker writes its figures to PROMETHEUS_MULTIPROC_DIR and
    /metrics reads them all. The variable must be set before prometheus_client is
    imported, hence a process of its own."""
    script = textwrap.dedent(f"""
        from mlapi import create_app
        from mlapi.counters import count_predictions
        app = create_app({{"ENV": "testing", "BOOTSTRAP": False,
                           "SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path / "m.db"}",
                           "MODEL_STORE": "{tmp_path / "models"}",
                           "INSTANCE_PATH": "{tmp_path / "instance"}"}})
        client = app.test_client()
        client.get("/livez")
        count_predictions(7, 3, hits=1, misses=0)
        print(client.get("/metrics").get_data(as_text=True))
    """)
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for f in text_string_to_metric_families(done.stdout)
        for s in f.samples
    }
    assert requests_of(samples, "/livez", 200) == 1
    assert value(samples, "mlapi_predictions_total", model_id="7", model_version="3") == 1
    assert any(shared.glob("*.db"))
