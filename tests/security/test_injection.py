"""Injection (OWASP API8): SQL metacharacters in every string field and query parameter.

The operations, their string fields and query parameters are read from the app's own
OpenAPI document, so an endpoint added later is attacked with no change here. Every
payload goes, one field at a time, into an otherwise valid request of one signed-in user
(admin routes: of an admin). What a user would notice if a query were built from text:
a 500, an SQL error or another user's data in the answer, or rows gone or changed.
"""

import io
import json
import re
from dataclasses import dataclass, field
from itertools import count, product

import pytest
import sqlalchemy as sa

from mlapi import create_app
from mlapi.extensions import db
from tests.contract_client import session_secrets
from tests.support.model_files import model_file
from tests.support.settings import TEST_PASSWORD
from tests.unit.helpers import ROW
from tests.unit.webhooks.conftest import HOOK_URL, create_hook, dns  # noqa: F401

PAYLOADS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    "'; DROP TABLE ml_models; --",
    "1; SELECT pg_sleep(5)",
    "1' UNION SELECT username, password_hash FROM users --",
    "%",
    "_",
    "%_%",
    "\\",
    "\\'",
    "'",
    '"',
    "`",
    "\u2019 OR \u20181\u2019=\u20181",
    "\uff07 OR \uff071\uff07=\uff071",
    "admin'--",
    "$ne",
    '{"$gt": ""}',
    "\x00' OR 1=1",
]
# The payloads go into password fields too (a password change takes one as its new
# password), and into every other field, whose errors may rightly echo them: they are this
# test's public inputs, never secrets, for every test of the session.
for _payload in PAYLOADS:
    session_secrets.declassify(_payload)
# Text that only an error from the database or the interpreter would put in an answer.
LEAK_MARKERS = [
    "sqlite3",
    "sqlalchemy",
    "psycopg",
    "OperationalError",
    "ProgrammingError",
    "IntegrityError",
    "syntax error",
    "unrecognized token",
    "Traceback",
    "password_hash",
    'File "/',
    TEST_PASSWORD,
]
WATCHED_TABLES = {"users": "id", "ml_models": "owner_id", "predictions": "owner_id"}
# Which table a successful call adds rows to, and the ids its answer announces them by.
CREATES = {
    ("POST", "/api/v1/auth/register"): "users",
    ("POST", "/api/v1/models"): "ml_models",
    ("POST", "/api/v1/predict"): "predictions",
    ("POST", "/api/v1/batch-predict"): "predictions",
    ("POST", "/api/v1/models/{model_id}/predict"): "predictions",
    ("POST", "/api/v1/models/{model_id}/batch-predict"): "predictions",
    **{
        ("POST", f"/api/v1/registry/{{owner}}/{{name}}{selector}/{operation}"): "predictions"
        for selector in ("", "/aliases/{alias}", "/versions/{version}")
        for operation in ("predict", "batch-predict")
    },
}
SKIPPED_PATHS = {"/metrics", "/health", "/livez", "/readyz"}  # no input at all
SAMPLE = {"string": "text", "integer": 1, "number": 1.0, "boolean": True}


@dataclass
class Operation:
    method: str
    path: str
    query: dict = field(default_factory=dict)  # name -> schema
    media_type: str | None = None
    properties: dict = field(default_factory=dict)  # body property -> schema
    required: list = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def operations(spec: dict) -> list[Operation]:
    """Every operation of the document that takes input, with its query and body schemas."""
    found = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if method == "parameters" or path in SKIPPED_PATHS:
                continue
            operation = Operation(
                method.upper(),
                path,
                query={
                    p["name"]: p.get("schema", {})
                    for p in op.get("parameters", [])
                    if p["in"] == "query"
                },
            )
            for media_type, content in op.get("requestBody", {}).get("content", {}).items():
                # A body of alternatives (login: username or email): the fields of all of
                # them, the required ones of the first.
                body = _resolve(spec, content.get("schema", {}))
                forms = [_resolve(spec, form) for form in body.get("oneOf", [])]
                operation.media_type = media_type
                operation.properties = {
                    name: schema
                    for form in forms or [body]
                    for name, schema in form.get("properties", {}).items()
                }
                operation.required = (forms or [body])[0].get("required", [])
            found.append(operation)
    return found


def takes_text(schema: dict) -> bool:
    """A string, an array of strings, or a value of any type (no type given)."""
    kind = schema.get("type")
    return kind in {None, "string"} or (kind == "array" and takes_text(schema.get("items", {})))


def concrete(path: str, ids: dict | None = None) -> str:
    """``path`` with its ``{parameter}``s filled from ``ids``, any others with 1."""
    for parameter, object_id in (ids or {}).items():
        path = path.replace(f"{{{parameter}}}", str(object_id))
    while "{" in path:
        path = path[: path.index("{")] + "1" + path[path.index("}") + 1 :]
    return path


def spec_of_a_fresh_app() -> dict:
    app = create_app(
        {"ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", "AUTO_MIGRATE": False}
    )
    return app.extensions["mlapi.api"].spec.to_dict()


OPERATIONS = operations(spec_of_a_fresh_app())


def inputs(op: Operation) -> list[tuple[str, str]]:
    """(where, name) of every text input of ``op``: query parameters (any type: text sent
    for a number must be refused, not parsed into a query), body fields that take text,
    and, for JSON bodies, a field's name itself."""
    found = [("query", name) for name in op.query]
    found += [("body", name) for name, schema in op.properties.items() if takes_text(schema)]
    if op.media_type == "application/json":
        found.append(("key", "<field name>"))
    return found


TARGETS = [pytest.param(op, id=op.id) for op in OPERATIONS if inputs(op)]


@pytest.fixture
def app_config(app_config):
    """Hundreds of requests from one user: the rate limits would answer most of them."""
    return {**app_config, "RATELIMIT_ENABLED": False}


@dataclass
class World:
    """One signed-in user with one object of each kind, and a canary whose rows must
    survive every request unchanged."""

    client: object
    headers: dict
    admin_headers: dict
    ids: dict  # path parameter -> the acting user's own object
    user: object
    canary: object
    names: count = field(default_factory=lambda: count(1))


@pytest.fixture
def world(client, make_user, sign_in, upload_model, create_hook, admin_headers):  # noqa: F811
    canary = make_user("canary", full_name="Canary Private")
    canary_headers = sign_in(canary).headers
    upload_model(canary_headers, "canary-secret-model", description="canary description")
    client.post("/api/v1/predict", json={"features": ROW}, headers=canary_headers)
    user = make_user()
    headers = sign_in(user).headers
    prediction = client.post("/api/v1/predict", json={"features": ROW}, headers=headers)
    key = client.post("/api/v1/auth/api-keys", json={"name": "job"}, headers=headers)
    team = client.post("/api/v1/teams", json={"name": "crew"}, headers=headers)
    model = upload_model(headers, "mine")
    path = f"/api/v1/registry/{user.username}/mine/aliases/production"
    assert client.put(path, json={"version": 1}, headers=headers).status_code == 200
    ids = {
        "model_id": model["id"],
        "owner": user.username,
        "name": "mine",
        "version": 1,
        "alias": "production",
        "prediction_id": prediction.get_json()["prediction_id"],
        "key_id": key.get_json()["id"],
        "webhook_id": create_hook(headers)["id"],
        "user_id": user.id,
        "team_id": team.get_json()["id"],
        "username": user.username,  # the team's maintainer: setting that role changes nothing
    }
    return World(client, headers, admin_headers, ids, user, canary)


def valid_body(world: World, op: Operation) -> dict:
    """The required fields of the body, valid, so the payload is the only fault."""
    n = next(world.names)
    known = {
        ("POST", "/api/v1/auth/register"): {
            "username": f"new{n}",
            "password": TEST_PASSWORD,
            "email": f"new{n}@example.com",
        },
        ("POST", "/api/v1/auth/login"): {
            "username": world.user.username,
            "password": TEST_PASSWORD,
        },
        # Changed once (a payload is a long enough new password); the current one is wrong
        # from then on, and the session goes on.
        ("POST", "/api/v1/auth/password"): {
            "current_password": TEST_PASSWORD,
            "new_password": f"another-password-{n}",
        },
        ("POST", "/api/v1/webhooks"): {"url": HOOK_URL, "events": ["model.created"]},
        ("POST", "/api/v1/models"): {
            "name": "mine",
            "model_type": "sklearn",
            "file": (io.BytesIO(model_file("regressor")), "m.skops"),
        },
        ("PUT", "/api/v1/admin/default-model"): {"model_id": 1},
        ("PATCH", "/api/v1/admin/users/{user_id}"): {"role": "user"},
        ("PATCH", "/api/v1/models/{model_id}"): {"visibility": "private"},
    }
    if (op.method, op.path) in known:
        return known[(op.method, op.path)]
    body = {}
    for name in op.required:
        schema = op.properties[name]
        value = schema.get("example", SAMPLE.get(schema.get("type"), "text"))
        body[name] = [ROW] if name == "samples" else ROW if name == "features" else value
    return body


def send(world: World, op: Operation, where: str, name: str, payload: str):
    parameters = set(re.findall(r"{(\w+)}", op.path))
    assert parameters <= world.ids.keys(), f"{op.id}: add its object to World.ids"
    path = concrete(op.path, world.ids)
    headers = world.admin_headers if op.path.startswith("/api/v1/admin") else world.headers
    query = {name: payload} if where == "query" else {}
    if not op.media_type:
        return world.client.open(path, method=op.method, query_string=query, headers=headers)
    body = valid_body(world, op)
    if where == "key":
        body[payload] = "x"
    elif where == "body":
        is_list = op.properties[name].get("type") == "array"
        body[name] = [payload] if is_list else payload
    if op.media_type == "multipart/form-data":
        return world.client.post(
            path, data=body, headers=headers, query_string=query, content_type="multipart/form-data"
        )
    return world.client.open(path, method=op.method, json=body, headers=headers, query_string=query)


def snapshot(app) -> dict[str, dict[int, dict]]:
    with app.app_context():
        queries = {table: sa.text(f"SELECT * FROM {table}") for table in WATCHED_TABLES}  # noqa: S608
        return {
            table: {row.id: dict(row._mapping) for row in db.session.execute(query)}
            for table, query in queries.items()
        }


def assert_harmless(response, world: World, op: Operation, payload: str) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code < 500, f"{op.id} {payload!r}: {text}"
    text = text.replace(json.dumps(payload)[1:-1], "")  # an echo of the payload is no leak
    for marker in [
        *LEAK_MARKERS,
        world.canary.email,
        "canary-secret-model",
        "canary description",
        "Canary Private",
    ]:
        assert marker not in text, f"{op.id} {payload!r} leaked {marker!r}: {text}"


def test_the_generated_targets_cover_every_kind_of_input():
    """A broken generator would leave the tests below with nothing to attack."""
    ids = {f"{op.id} {where}:{name}" for op in OPERATIONS for where, name in inputs(op)}
    for expected in [
        "POST /api/v1/auth/login body:username",
        "POST /api/v1/models body:name",
        "GET /api/v1/models query:name",
        "PATCH /api/v1/models/{model_id} body:description",
        "POST /api/v1/webhooks body:events",
        "POST /api/v1/predictions/{prediction_id}/feedback body:comment",
        "GET /api/v1/predictions query:model_id",
        "POST /api/v1/predict key:<field name>",
    ]:
        assert expected in ids, sorted(ids)


def test_the_requests_are_valid_but_for_the_payload(world):
    """Every generated request without a payload is accepted, so a refusal of one with a
    payload is a refusal of the payload (and accepted payloads did reach the database)."""
    for op in (target.values[0] for target in TARGETS):
        response = send(world, op, "none", "", "")
        assert response.status_code < 400, (op.id, response.get_json())


@pytest.mark.parametrize("op", TARGETS)
def test_payloads_do_no_harm(app, world, op):
    """No 500, nothing leaked, and afterwards every table holds what it held plus only
    the rows the successful calls announced; the canary's rows are untouched."""
    before = snapshot(app)
    announced = set()
    for (where, name), payload in product(inputs(op), PAYLOADS):
        response = send(world, op, where, name, payload)
        assert_harmless(response, world, op, payload)
        if response.status_code in {200, 201} and (op.method, op.path) in CREATES:
            body = response.get_json()
            announced |= {
                (CREATES[(op.method, op.path)], i)
                for i in body.get("prediction_ids", [body.get("prediction_id", body.get("id"))])
            }
    after = snapshot(app)
    for table, owner_column in WATCHED_TABLES.items():
        assert before[table].keys() <= after[table].keys(), f"rows of {table} vanished"
        assert {(table, i) for i in after[table].keys() - before[table].keys()} <= announced
        for row_id, row in before[table].items():
            if row[owner_column] != world.user.id:
                assert after[table][row_id] == row, f"{table} row {row_id} changed"
    canary_login = world.client.post(
        "/api/v1/auth/login", json={"username": world.canary.username, "password": TEST_PASSWORD}
    )
    assert canary_login.status_code == 200


def test_payloads_in_path_ids_are_not_found(world):
    """Ids in paths are integers: anything else is a plain 404, whatever it holds."""
    for payload in PAYLOADS:
        response = world.client.get(f"/api/v1/models/{payload}", headers=world.headers)

        assert response.status_code == 404, payload
