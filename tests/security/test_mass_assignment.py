"""Mass assignment (OWASP API3): a client cannot set what the server owns.

Every endpoint that takes a body is sent its valid body plus one field the server alone
decides (role, owner, version, sha256, is_active, id, created_at, secrets…). docs/api.md: the
field is refused with 422 naming it. The test then reads the state back through the API
and asserts nothing changed, so a server that answered 422 *after* writing fails too.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pytest

from tests.model_records import add_model
from tests.support.model_files import model_file
from tests.unit.helpers import ROW, assert_problem
from tests.unit.webhooks.conftest import HOOK_URL, dns  # noqa: F401

ID_AND_TIME = [("id", 999), ("created_at", "2001-01-01T00:00:00Z")]
OWNERSHIP = [("owner_id", 1), ("owner", {"id": 1, "username": "system"}), ("user_id", 1)]


@dataclass
class Target:
    """One body-taking endpoint: how to call it with an extra field, and its state."""

    send: Callable  # (world, extra: dict) -> response
    state: Callable  # (world) -> what must not change


class World:
    """What the targets need, each made on first use: sign-ins hash passwords, slowly."""

    def __init__(self, request):
        self._fixture = request.getfixturevalue
        self.client = self._fixture("client")
        self.user = self._fixture("user")

    @cached_property
    def headers(self) -> dict:
        return self._fixture("auth_headers")

    @cached_property
    def admin_headers(self) -> dict:
        return self._fixture("admin_headers")

    @cached_property
    def model_id(self) -> int:
        return add_model(self._fixture("app"), self.user.id, "mine")

    @cached_property
    def prediction_id(self) -> int:
        response = self.client.post("/api/v1/predict", json={"features": ROW}, headers=self.headers)
        return response.get_json()["prediction_id"]


def _get(world, path, headers=None):
    response = world.client.get(path, headers=headers or world.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _register(world, extra):
    return world.client.post(
        "/api/v1/auth/register",
        json={
            "username": "mallory",
            "email": "mallory@example.com",
            "password": "mallory-password-1",
            **extra,
        },
    )


def _no_mallory(world):
    users = _get(world, "/api/v1/admin/users?per_page=100", world.admin_headers)["items"]
    return [user for user in users if user["username"] == "mallory"]


def _upload(world, extra):
    form = {
        "name": "planted",
        "model_type": "sklearn",
        "file": (io.BytesIO(model_file("regressor")), "planted.skops"),
        **{key: str(value) for key, value in extra.items()},
    }
    return world.client.post(
        "/api/v1/models", data=form, headers=world.headers, content_type="multipart/form-data"
    )


TARGETS = {
    "register": (
        Target(_register, _no_mallory),
        [("role", "admin"), ("is_active", False), *ID_AND_TIME],
    ),
    "upload model": (
        Target(_upload, lambda w: _get(w, "/api/v1/models?name=planted")["total"]),
        [
            ("version", 7),
            ("sha256", "0" * 64),
            ("is_active", "true"),
            ("owner_id", 1),
            ("task", "classification"),
            ("size_bytes", 1),
            *ID_AND_TIME,
        ],
    ),
    "update model": (
        Target(
            lambda w, extra: w.client.patch(
                f"/api/v1/models/{w.model_id}",
                json={"description": "new", **extra},
                headers=w.headers,
            ),
            lambda w: _get(w, f"/api/v1/models/{w.model_id}"),
        ),
        [("version", 7), ("sha256", "0" * 64), ("name", "renamed"), *OWNERSHIP, *ID_AND_TIME],
    ),
    "create api key": (
        Target(
            lambda w, extra: w.client.post(
                "/api/v1/auth/api-keys", json={"name": "job", **extra}, headers=w.headers
            ),
            lambda w: _get(w, "/api/v1/auth/api-keys")["items"],
        ),
        [("key", "mlapi_chosen_by_the_client"), ("prefix", "mlapi_ab"), *OWNERSHIP, *ID_AND_TIME],
    ),
    "create webhook": (
        Target(
            lambda w, extra: w.client.post(
                "/api/v1/webhooks",
                json={"url": HOOK_URL, "events": ["model.created"], **extra},
                headers=w.headers,
            ),
            lambda w: _get(w, "/api/v1/webhooks")["items"],
        ),
        [("secret", "chosen-by-the-client"), *OWNERSHIP, *ID_AND_TIME],
    ),
    "admin edits a user": (
        Target(
            lambda w, extra: w.client.patch(
                f"/api/v1/admin/users/{w.user.id}",
                json={"role": "user", **extra},
                headers=w.admin_headers,
            ),
            lambda w: _get(w, "/api/v1/users/me"),
        ),
        [
            ("username", "renamed"),
            ("email", "new@example.com"),
            ("password", "a-new-password-1"),
            *ID_AND_TIME,
        ],
    ),
    "predict": (
        Target(
            lambda w, extra: w.client.post(
                "/api/v1/predict", json={"features": ROW, **extra}, headers=w.headers
            ),
            lambda w: _get(w, "/api/v1/predictions")["total"],
        ),
        [("model_id", 999), ("cached", True), ("prediction", 1.0), *OWNERSHIP],
    ),
    "feedback": (
        Target(
            lambda w, extra: w.client.post(
                f"/api/v1/predictions/{w.prediction_id}/feedback",
                json={"actual_value": 1.0, **extra},
                headers=w.headers,
            ),
            lambda w: _get(w, f"/api/v1/predictions/{w.prediction_id}").get("feedback"),
        ),
        [("prediction_id", 999), *OWNERSHIP, *ID_AND_TIME],
    ),
}

CASES = [
    pytest.param(target, field, value, id=f"{name}: {field}")
    for name, (target, fields) in TARGETS.items()
    for field, value in fields
]


@pytest.fixture
def world(request, dns):  # noqa: F811
    return World(request)


@pytest.mark.parametrize(("target", "field", "value"), CASES)
def test_a_server_owned_field_is_refused_and_nothing_changes(world, target, field, value):
    """The refusal names the field, so the client learns why; the state read back shows
    the server neither took the value nor did the rest of the request."""
    before = target.state(world)

    response = target.send(world, {field: value})

    body = assert_problem(response, 422, "validation_error")
    assert field in body["errors"], body["errors"]
    assert target.state(world) == before


@pytest.mark.parametrize("target", [target for target, _ in TARGETS.values()], ids=TARGETS.keys())
def test_the_valid_body_alone_is_accepted(world, target):
    """Control: without the extra field each request succeeds, so the 422s above are due
    to the server-owned field and not to a broken base body."""
    assert target.send(world, {}).status_code in {200, 201}
