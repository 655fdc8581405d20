"""Swagger UI's own examples work on a fresh instance.

/docs pre-fills every request body with the document's example (the media type's
``example``; without one, Swagger UI builds a body from every property, optional ones
too, which is how login once sent both ``username`` and ``email``). Each operation that
takes a body is tried here the way a newcomer tries it: on a fresh instance, register
with the example, sign in with the example, upload the example model, predict with the
example, then press "Execute" on the operation with its example as it stands. The ids a
path needs are those of the objects made on the way; admin operations are sent by an
administrator. Every answer must be a success.

The operations come from the app's own document, so one added later is tried with no
change here.
"""

import io
import tempfile

import pytest

from mlapi import create_app
from mlapi.webhooks.addresses import RESOLVER_KEY, static_resolver
from tests.contract_client import session_secrets
from tests.support.model_files import model_file
from tests.support.users import bearer

REGISTER = ("post", "/api/v1/auth/register")
LOGIN = ("post", "/api/v1/auth/login")
UPLOAD = ("post", "/api/v1/models")
PREDICT = ("post", "/api/v1/predict")
CREATE_TEAM = ("post", "/api/v1/teams")
CREATE_KEY = ("post", "/api/v1/auth/api-keys")
MOVE_ALIAS = ("put", "/api/v1/registry/{owner}/{name}/aliases/{alias}")
# A newcomer's first steps through /docs: each step's example relies on the ones before.
FIRST_STEPS = [REGISTER, LOGIN, UPLOAD, PREDICT]
# The examples are tried with a resolver that knows no host at all: an example that needs
# DNS (a webhook URL with a host name) is refused where the server cannot resolve it.
NO_DNS: dict[str, list[str]] = {}


def _body_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation with a request body, from a fresh app's document."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "ENV": "testing",
                "BOOTSTRAP": False,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "INSTANCE_PATH": instance,
            }
        )
    paths = app.extensions["mlapi.api"].spec.to_dict()["paths"]
    return [
        (method, path)
        for path, item in paths.items()
        for method, operation in item.items()
        if method != "parameters" and "requestBody" in operation
    ]


BODY_OPERATIONS = _body_operations()


class Newcomer:
    """Sends each operation's documented example, as Swagger UI would, and keeps what the
    answers made (the account, its token, a model, a prediction) for the paths that follow."""

    def __init__(self, client, document: dict, admin_headers: dict):
        self.client, self.document, self.admin_headers = client, document, admin_headers
        self.headers: dict[str, str] = {}
        self.ids: dict[str, int | str] = {"alias": "production"}  # what MOVE_ALIAS makes

    def operation(self, method: str, path: str) -> dict:
        return self.document["paths"][path][method]

    def send(self, method: str, path: str):
        operation = self.operation(method, path)
        response = self.client.open(
            self._path(path),
            method=method.upper(),
            headers=self._credentials(path, operation),
            **self._body(operation),
        )
        assert 200 <= response.status_code < 300, (
            f"{method.upper()} {path} answered its own example with {response.status_code}: "
            f"{response.get_json()}"
        )
        self._remember((method, path), response.get_json(silent=True))  # a 204 has no body
        return response

    def _path(self, path: str) -> str:
        for name, value in self.ids.items():
            path = path.replace(f"{{{name}}}", str(value))
        assert "{" not in path, f"{path}: no object made on the way has this id: add it here"
        return path

    def _credentials(self, path: str, operation: dict) -> dict:
        if not operation.get("security"):
            return {}
        return self.admin_headers if path.startswith("/api/v1/admin/") else self.headers

    def _body(self, operation: dict) -> dict:
        [(media_type, content)] = operation["requestBody"]["content"].items()
        if media_type == "application/json":
            assert "example" in content, (
                "no example for this body: Swagger UI would build one from every property "
                "(give the view's @blp.arguments an example=)"
            )
            return {"json": content["example"]}
        return {"data": self._form(self._resolve(content["schema"])), "content_type": media_type}

    def _form(self, schema: dict) -> dict:
        """The form Swagger UI shows, its text fields as the document fills them, and a
        model of ten features (like the built-in one, which the example names fit)."""
        form = {}
        for name, field in schema["properties"].items():
            if field.get("format") == "binary":
                assert field.get("description"), f"{name}: say what file to pick"
                form[name] = (io.BytesIO(model_file("regressor")), "model.skops")
                continue
            assert "example" in field or "default" in field, f"{name}: no example"
            form[name] = field.get("example", field.get("default"))
        return form

    def _resolve(self, node: dict) -> dict:
        if "$ref" in node:
            return self.document["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        return node

    def _remember(self, operation: tuple[str, str], body) -> None:
        if operation == REGISTER:
            self.ids["user_id"] = body["id"]
            self.ids["username"] = body["username"]
            self.ids["owner"] = body["username"]
        elif operation == LOGIN:
            self.headers = bearer(body["access_token"])
        elif operation == UPLOAD:
            self.ids["model_id"] = body["id"]
            self.ids["name"], self.ids["version"] = body["name"], body["version"]
        elif operation == PREDICT:
            self.ids["prediction_id"] = body["prediction_id"]
        elif operation == CREATE_TEAM:
            self.ids["team_id"] = body["id"]
        elif operation == CREATE_KEY:
            self.ids["key_id"] = body["id"]


def _published_passwords(document: dict) -> list[str]:
    return [
        value
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for content in operation.get("requestBody", {}).get("content", {}).values()
        for key, value in (content.get("example") or {}).items()
        if "password" in key
    ]


@pytest.fixture
def newcomer(app, client, admin_headers) -> Newcomer:
    app.extensions[RESOLVER_KEY] = static_resolver(NO_DNS)
    document = client.get("/openapi.json").get_json()
    for password in _published_passwords(document):
        session_secrets.declassify(password)  # printed in the document: nothing to leak
    return Newcomer(client, document, admin_headers)


def test_the_operations_users_stumbled_on_are_tried():
    """The walk is not empty: the two examples that failed once are among those tried."""
    assert {LOGIN, ("post", "/api/v1/batch-predict"), *FIRST_STEPS} <= set(BODY_OPERATIONS)


@pytest.mark.parametrize(
    ("method", "path"), BODY_OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in BODY_OPERATIONS]
)
def test_the_documented_example_succeeds_on_a_fresh_instance(newcomer, method, path):
    steps = (
        FIRST_STEPS[: FIRST_STEPS.index((method, path))]
        if (method, path) in FIRST_STEPS
        else FIRST_STEPS
    )
    if path.startswith(f"{MOVE_ALIAS[1]}/"):  # predicting by an alias: one made first
        steps = [*steps, MOVE_ALIAS]
    for step in steps:
        newcomer.send(*step)
    if "{team_id}" in path:  # the newcomer makes the team first, with its own example
        newcomer.send(*CREATE_TEAM)
    if "{key_id}" in path:  # and the key (rotating one)
        newcomer.send(*CREATE_KEY)

    newcomer.send(method, path)
