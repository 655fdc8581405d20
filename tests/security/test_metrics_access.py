"""``/metrics`` lists per-model counters, private models included:
with ``MLAPI_METRICS_TOKEN`` set, only a scraper presenting it reads them; the sample
production environment sets it, and binds to 127.0.0.1 since it trusts a proxy's
``X-Forwarded-For``.
"""

from pathlib import Path

import pytest

from mlapi import create_app
from mlapi.config import ConfigError, load_config
from tests.unit.helpers import assert_problem

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "scraper-token-0123456789abcdef"


@pytest.fixture
def guarded(configured_app, request):
    """A client of an app whose /metrics asks for ``TOKEN``."""
    configured_app(METRICS_TOKEN=TOKEN)
    return request.getfixturevalue("client")


def test_without_the_token_metrics_are_refused(guarded):
    body = assert_problem(guarded.get("/metrics"), 401, "unauthorized")
    assert "MLAPI_METRICS_TOKEN" in body["detail"]


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        "Bearer ",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
def test_a_wrong_token_is_refused(guarded, authorization):
    response = guarded.get("/metrics", headers={"Authorization": authorization})
    assert_problem(response, 401, "unauthorized")
    assert b"mlapi_http_request" not in response.data


def test_a_users_own_token_does_not_open_metrics(configured_app, request):
    configured_app(METRICS_TOKEN=TOKEN)
    client, headers = request.getfixturevalue("client"), request.getfixturevalue("auth_headers")
    assert_problem(client.get("/metrics", headers=headers), 401, "unauthorized")


def test_the_token_opens_metrics(guarded):
    response = guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert b"mlapi_predictions_total" in response.data


def test_without_a_token_configured_metrics_stay_open(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"


def test_the_token_comes_from_the_environment():
    settings = load_config(environ={"MLAPI_ENV": "testing", "MLAPI_METRICS_TOKEN": TOKEN})
    assert settings["METRICS_TOKEN"] == TOKEN


def sample_environment() -> dict[str, str]:
    """``.env.production`` as systemd and docker read it: KEY=value lines, # comments."""
    settings = {}
    for line in (ROOT / ".env.production").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


def test_the_sample_production_environment_guards_metrics_and_the_forwarded_address():
    settings = sample_environment()

    assert "MLAPI_METRICS_TOKEN" in settings  # a blank to fill in, like the secret key
    if int(settings.get("MLAPI_TRUSTED_PROXIES", "0")) > 0:
        # Anyone who reached a public port could write X-Forwarded-For themselves.
        host = settings["MLAPI_BIND"].rsplit(":", 1)[0]
        assert host == "127.0.0.1"


def test_production_refuses_the_samples_placeholder_token(app_config):
    app_config.update(
        ENV="production",
        SECRET_KEY="a-production-secret-of-32-bytes-or-more",
        METRICS_TOKEN=sample_environment()["MLAPI_METRICS_TOKEN"],
    )
    with pytest.raises(ConfigError, match="MLAPI_METRICS_TOKEN"):
        create_app(app_config)
