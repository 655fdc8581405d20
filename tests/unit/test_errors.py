"""Every error is an RFC 9457 problem with a stable code; every response carries a request id."""

import logging
import re

import pytest

from tests.unit.helpers import ROW, assert_problem

ONE_MIB = 1024 * 1024
SECRET_DETAIL = "password=hunter2 in /srv/mlapi/secret_module.py"


@pytest.fixture
def failing_route(app):
    """A route that fails the way a bug would, on an app that does not re-raise it."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode():
        raise RuntimeError(SECRET_DETAIL)

    app.add_url_rule("/boom", "boom", explode)
    return "/boom"


@pytest.mark.parametrize(
    "path", ["/nope", "/api/v1/nope", "/api/v2/predict", "/api/v1/predictions/1/nope"]
)
def test_unknown_route_is_not_found(client, path):
    assert_problem(client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/health", {"GET"}),
        ("post", "/api/v1/users/me", {"GET"}),
        ("get", "/api/v1/auth/login", {"POST"}),
        ("put", "/api/v1/predict", {"POST"}),
    ],
)
def test_wrong_method_is_405_with_the_allowed_ones(client, method, path, allowed):
    response = getattr(client, method)(path)

    assert_problem(response, 405, "method_not_allowed")
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize(
    "body",
    ['{"username": ', "{'username': 'a'}", "{}}", "\xff"],
    ids=["truncated", "single-quotes", "trailing", "not-utf8"],
)
def test_malformed_json_is_400(client, body):
    response = client.post(
        "/api/v1/auth/login", data=body.encode("latin-1"), content_type="application/json"
    )

    assert_problem(response, 400, "malformed_json")


def test_json_array_body_is_400_saying_an_object_is_needed(client):
    response = client.post("/api/v1/auth/login", json=[{"username": "a", "password": "b"}])

    assert "object" in assert_problem(response, 400, "malformed_json")["detail"]


def test_text_body_is_415(client):
    response = client.post(
        "/api/v1/auth/login", data="username=a&password=b", content_type="text/plain"
    )

    assert "application/json" in assert_problem(response, 415, "unsupported_media_type")["detail"]


def test_validation_errors_are_flattened_to_dotted_paths(client, auth_headers):
    samples = [ROW, ROW, [*ROW[:4], "four", *ROW[5:]]]

    response = client.post("/api/v1/batch-predict", json={"samples": samples}, headers=auth_headers)

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == {"samples.2.4": ["Not a number."]}
    assert body["detail"].startswith("samples.2.4")


def test_body_over_one_mebibyte_is_413(client):
    padding = "x" * ONE_MIB
    response = client.post("/api/v1/auth/login", json={"username": padding, "password": "p"})

    assert_problem(response, 413, "payload_too_large")


def test_unexpected_error_says_only_internal_error(client, failing_route):
    response = client.get(failing_route)

    assert_problem(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert "hunter2" not in text
    assert "secret_module" not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text


def test_unexpected_error_is_logged_with_the_request_id(client, failing_route, caplog):
    with caplog.at_level(logging.ERROR, logger="mlapi"):
        response = client.get(failing_route, headers={"X-Request-ID": "trace-me-42"})

    assert response.headers["X-Request-ID"] == "trace-me-42"
    assert "trace-me-42" in response.get_json()["detail"]
    [record] = [r for r in caplog.records if "trace-me-42" in r.getMessage()]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert SECRET_DETAIL in str(record.exc_info[1])


@pytest.mark.parametrize(
    "request_id", ["abc-123", "a" * 128, "req.1:2_3", "0f8fad5b-d9cb-469f-a165-70867728950e"]
)
def test_safe_request_id_is_echoed(client, request_id):
    response = client.get("/livez", headers={"X-Request-ID": request_id})

    assert response.headers["X-Request-ID"] == request_id


@pytest.mark.parametrize("request_id", ["a" * 129, "has space", "<script>", "naïve", "a;b", ""])
def test_unsafe_request_id_is_replaced_by_a_generated_one(client, request_id):
    response = client.get("/livez", headers={"X-Request-ID": request_id})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_each_request_gets_its_own_generated_id(client):
    first, second = client.get("/livez"), client.get("/livez")

    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/health"),
        ("get", "/nope"),
        ("get", "/api/v1/users/me"),
        ("post", "/api/v1/auth/login"),
        ("get", "/openapi.json"),
    ],
)
def test_every_response_has_a_request_id_and_nosniff(client, method, path):
    response = getattr(client, method)(path)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Request-ID"]
