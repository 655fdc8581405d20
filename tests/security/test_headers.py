"""Security headers on every kind of response, and no server banner (OWASP API8).

Each row is a kind of response a client can get: a success of each status, a problem of
each family, an unknown route, a wrong method, an unexpected failure (500), and the
operational pages. Each must carry the headers mlapi/http.py promises; data responses
must also not be cacheable and must not load anything if a browser renders them.
"""

import pytest

from tests.support.settings import TEST_PASSWORD
from tests.unit.helpers import ROW

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
DATA_MIMETYPES = {"application/json", "application/problem+json", "text/plain"}
BANNER_WORDS = ("werkzeug", "python", "gunicorn", "flask")

# name -> (method, path, needs a signed-in caller, body, expected status); a body is a
# dict sent as JSON, "text" sent as text/plain, or any other string sent as raw "JSON".
RESPONSES = {
    "200 json": ("get", "/api/v1/users/me", True, None, 200),
    "200 prediction": ("post", "/api/v1/predict", True, {"features": ROW}, 200),
    "201 created": (
        "post",
        "/api/v1/auth/register",
        False,
        {"username": "newcomer", "email": "new@example.com", "password": TEST_PASSWORD},
        201,
    ),
    "204 no content": ("post", "/api/v1/auth/logout", True, None, 204),
    "400 malformed": ("post", "/api/v1/auth/login", False, "{not json", 400),
    "401 problem": ("get", "/api/v1/users/me", False, None, 401),
    "403 problem": ("get", "/api/v1/admin/users", True, None, 403),
    "404 missing object": ("get", "/api/v1/models/999999", True, None, 404),
    "404 unknown route": ("get", "/no/such/route", False, None, 404),
    "405 wrong method": ("delete", "/health", False, None, 405),
    "415 wrong type": ("post", "/api/v1/auth/login", False, "text", 415),
    "422 invalid": ("post", "/api/v1/predict", True, {"features": [1]}, 422),
    "500 unexpected": ("get", "/test-only/boom", False, None, 500),
    "health": ("get", "/health", False, None, 200),
    "livez": ("get", "/livez", False, None, 200),
    "readyz": ("get", "/readyz", False, None, 200),
    "metrics": ("get", "/metrics", False, None, 200),
    "openapi": ("get", "/openapi.json", False, None, 200),
    "docs page": ("get", "/docs", False, None, 200),
    "docs asset": ("get", "/docs/assets/swagger-ui-bundle.js", False, None, 200),
    "root redirect": ("get", "/", False, None, 302),
    "head": ("head", "/health", False, None, 200),
}


def _boom():
    raise RuntimeError("an unexpected failure inside a view")


@pytest.fixture
def app_with_a_failing_route(app):
    """The 500 row's route, in this test's app only (added before its first request)."""
    app.add_url_rule("/test-only/boom", view_func=_boom)
    return app


@pytest.fixture
def respond(app_with_a_failing_route, client, request):
    """Send one row of RESPONSES and check its status."""

    def send(method, path, signed_in, body, status):
        kwargs = {"headers": request.getfixturevalue("auth_headers") if signed_in else {}}
        if body == "text":
            kwargs.update(data="username=a", content_type="text/plain")
        elif isinstance(body, str):
            kwargs.update(data=body, content_type="application/json")
        elif body is not None:
            kwargs["json"] = body
        response = getattr(client, method)(path, **kwargs)
        response.get_data()  # read and close: a file (the docs asset) streams otherwise
        response.close()
        assert response.status_code == status, response.get_data(as_text=True)[:300]
        return response

    return send


@pytest.mark.parametrize("row", RESPONSES.values(), ids=RESPONSES.keys())
def test_every_response_carries_the_security_headers(respond, row):
    """A browser that meets any mlapi response neither sniffs, frames nor leaks a Referer."""
    response = respond(*row)

    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers.get("X-Request-ID")


@pytest.mark.parametrize("row", RESPONSES.values(), ids=RESPONSES.keys())
def test_data_responses_are_never_cached_nor_active(respond, row):
    """JSON and text answers belong to one caller at one moment: no shared cache keeps
    them, and a browser tricked into rendering one loads and runs nothing."""
    response = respond(*row)
    if response.mimetype not in DATA_MIMETYPES:
        return  # the docs page and its assets: checked below
    assert "no-store" in response.headers["Cache-Control"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_the_docs_page_keeps_its_scripts_but_cannot_be_framed(respond):
    """The HTML page needs its own scripts (no data CSP), but still may not be framed."""
    response = respond(*RESPONSES["docs page"])

    assert response.mimetype == "text/html"
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("row", RESPONSES.values(), ids=RESPONSES.keys())
def test_no_header_names_the_software_behind_mlapi(respond, row):
    """Versions of Werkzeug, Python or gunicorn help an attacker pick an exploit."""
    response = respond(*row)

    assert "Server" not in response.headers
    for name, value in response.headers.items():
        assert not any(word in value.lower() for word in BANNER_WORDS), (name, value)


def test_a_500_says_nothing_of_its_cause(respond):
    """The failure's message and traceback stay in the log, never in the answer."""
    response = respond(*RESPONSES["500 unexpected"])

    assert response.get_json()["code"] == "internal_error"
    assert "unexpected failure" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
