"""Stored XSS: hostile markup saved in free-text fields comes back as JSON data, never HTML.

A browser runs a script from a response only when it takes the response for HTML. mlapi
stores text as given (escaping it would corrupt what the client saved) and answers it
JSON-encoded as ``application/json`` with ``X-Content-Type-Options: nosniff``, so no
browser sniffs the body into HTML. Each field below is written through the API and read
back through the API, as the victim's dashboard would.
"""

import io

import pytest

from tests.support.model_files import model_file
from tests.unit.helpers import ROW
from tests.unit.webhooks.conftest import HOOK_URL, create_hook, dns  # noqa: F401

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><svg/onload=alert(1)>",
    "'';!--\"<XSS>=&{()}",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
]
JSON_TYPES = {"application/json", "application/problem+json"}


def _full_name(api, text):
    api.post(
        "/api/v1/auth/register",
        json={
            "username": "mallory",
            "email": "mallory@example.com",
            "password": "s3cret-password",
            "full_name": text,
        },
    )
    tokens = api.post(
        "/api/v1/auth/login", json={"username": "mallory", "password": "s3cret-password"}
    ).get_json()
    return api.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ), lambda body: body["full_name"]


def _uploaded_description(api, text):
    record = api.upload(description=text)
    return api.get(f"/api/v1/models/{record['id']}"), lambda body: body["description"]


def _patched_description(api, text):
    record = api.upload()
    api.patch(f"/api/v1/models/{record['id']}", json={"description": text})
    return api.get("/api/v1/models?owner=me"), lambda body: body["items"][0]["description"]


def _feature_name(api, text):
    names = ",".join(f"{text}{i}" for i in range(4))
    record = api.upload(kind="classifier", feature_names=names)
    return (api.get(f"/api/v1/models/{record['id']}"), lambda body: body["feature_names"][0][:-1])


def _feedback_comment(api, text):
    prediction = api.post("/api/v1/predict", json={"features": ROW}).get_json()
    path = f"/api/v1/predictions/{prediction['prediction_id']}"
    api.post(f"{path}/feedback", json={"actual_value": 1.0, "comment": text})
    return api.get(path), lambda body: body["feedback"]["comment"]


def _api_key_name(api, text):
    api.post("/api/v1/auth/api-keys", json={"name": text})
    return api.get("/api/v1/auth/api-keys"), lambda body: body["items"][0]["name"]


def _webhook_name(api, text):
    hook = api.create_hook(api.headers, name=text)
    return api.get(f"/api/v1/webhooks/{hook['id']}"), lambda body: body["name"]


def _webhook_url(api, text):
    hook = api.create_hook(api.headers, f"{HOOK_URL}?q={text}")
    return api.get(f"/api/v1/webhooks/{hook['id']}"), lambda body: body["url"][len(HOOK_URL) + 3 :]


FIELDS = {
    "full_name": _full_name,
    "model description": _uploaded_description,
    "changed model description": _patched_description,
    "feature name": _feature_name,
    "feedback comment": _feedback_comment,
    "api key name": _api_key_name,
    "webhook name": _webhook_name,
    "webhook url": _webhook_url,
}


class Api:
    """The signed-in user's client; every answer it gets is checked as a browser would
    see it."""

    def __init__(self, client, headers, hooks):
        self.client, self.headers, self.create_hook = client, headers, hooks

    def _send(self, method, path, **kwargs):
        kwargs["headers"] = {**self.headers, **kwargs.get("headers", {})}
        response = self.client.open(path, method=method, **kwargs)
        assert_not_html(response)
        assert response.status_code < 300, response.get_data(as_text=True)
        return response

    def get(self, path, **kwargs):
        return self._send("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self._send("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self._send("PATCH", path, **kwargs)

    def upload(self, kind="regressor", **fields):
        form = {
            "name": "xss",
            "model_type": "sklearn",
            "file": (io.BytesIO(model_file(kind)), "m.skops"),
            **fields,
        }
        return self.post("/api/v1/models", data=form, content_type="multipart/form-data").get_json()


def assert_not_html(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if response.status_code != 204:
        assert response.mimetype in JSON_TYPES, response.mimetype
        assert "html" not in response.headers["Content-Type"]


@pytest.fixture
def api(client, auth_headers, create_hook):  # noqa: F811
    return Api(client, auth_headers, create_hook)


def test_every_stored_free_text_field_is_covered():
    """The free-text fields docs/api.md names, plus the ones the schemas have since grown."""
    assert {
        "full_name",
        "model description",
        "feedback comment",
        "api key name",
        "webhook name",
    } <= FIELDS.keys()


@pytest.mark.parametrize("text", XSS)
@pytest.mark.parametrize("field", FIELDS)
def test_markup_is_stored_and_returned_as_json_data(api, field, text):
    """The very characters saved come back after JSON decoding: not escaped, not dropped."""
    response, stored = FIELDS[field](api, text)

    assert response.mimetype == "application/json"
    assert stored(response.get_json()) == text


@pytest.mark.parametrize("text", XSS[:2])
def test_markup_echoed_in_errors_is_json_too(client, auth_headers, text):
    """Refusals that quote the request (unknown field, bad value, unknown path) are
    problem details, not an HTML error page."""
    for response in [
        client.post("/api/v1/auth/api-keys", json={"name": "k", text: 1}, headers=auth_headers),
        client.get("/api/v1/models", query_string={"owner": text}, headers=auth_headers),
        client.get(f"/api/v1/{text}", headers=auth_headers),
        client.post("/api/v1/auth/login", data=text, content_type="text/html"),
    ]:
        assert_not_html(response)
        assert response.mimetype == "application/problem+json"
        assert 400 <= response.status_code < 500
