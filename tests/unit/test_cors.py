"""CORS (mlapi/cors.py): only the configured origins, preflights answered, and nothing at
all when no origin is configured."""

import pytest

from mlapi.cors import ALLOW_HEADERS

ORIGIN = "https://dashboard.example.com"
ME = "/api/v1/users/me"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "Authorization, X-API-Key, Content-Type, X-Request-ID",
}


@pytest.fixture
def cors_client(configured_app, request):
    def build(*origins):
        configured_app(CORS_ORIGINS=list(origins))
        return request.getfixturevalue("client")

    return build


def cors_headers(response) -> dict:
    return {k: v for k, v in response.headers.items() if k.startswith("Access-Control-")}


def test_without_configured_origins_no_cors_header_is_sent(client, auth_headers):
    answer = client.get(ME, headers={**auth_headers, "Origin": ORIGIN})
    preflight = client.options("/api/v1/predict", headers=PREFLIGHT)

    assert answer.status_code == 200
    assert cors_headers(answer) == {}
    assert cors_headers(preflight) == {}


def test_a_preflight_from_an_allowed_origin_is_answered(cors_client):
    client = cors_client(ORIGIN, "https://other.example.com")

    response = client.options("/api/v1/predict", headers=PREFLIGHT)

    assert response.status_code in (200, 204)
    headers = cors_headers(response)
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    allowed = {h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {h.lower() for h in ALLOW_HEADERS}
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers.get("Vary", "")


def test_a_preflight_needs_no_credential(cors_client):
    client = cors_client(ORIGIN)

    response = client.options(ME, headers={**PREFLIGHT, "Access-Control-Request-Method": "GET"})

    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_answers_to_an_allowed_origin_expose_the_useful_headers(cors_client, request):
    client = cors_client(ORIGIN)
    headers = request.getfixturevalue("auth_headers")

    response = client.get(ME, headers={**headers, "Origin": ORIGIN})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {
        "X-Request-ID",
        "Retry-After",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
    } <= exposed


def test_errors_carry_cors_headers_too(cors_client):
    """A browser must be able to read a 401 to know it should sign in."""
    client = cors_client(ORIGIN)

    response = client.get(ME, headers={"Origin": ORIGIN})

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_another_origin_gets_no_cors_headers(cors_client):
    client = cors_client(ORIGIN)

    preflight = client.options(
        "/api/v1/predict", headers={**PREFLIGHT, "Origin": "https://evil.example.net"}
    )
    answer = client.get("/health", headers={"Origin": "https://evil.example.net"})

    assert cors_headers(preflight) == {}
    assert cors_headers(answer) == {}


def test_a_request_without_origin_gets_no_cors_headers(cors_client):
    client = cors_client(ORIGIN)

    assert cors_headers(client.get("/health")) == {}


def test_a_wildcard_origin_never_allows_credentials(cors_client):
    client = cors_client("*")

    response = client.options("/api/v1/predict", headers=PREFLIGHT)

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
