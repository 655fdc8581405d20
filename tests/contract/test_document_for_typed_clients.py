"""The document says what the server does, closely enough for generated clients to be typed
by it (issue 18): openapi-python-client and openapi-typescript read ``required``,
``nullable``, ``oneOf``, ``operationId``, ``security`` and response headers from it.

Driven by the document itself, so an operation or a schema added later is held to the same
rules with no change here.
"""

import re

import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from referencing import Registry, Resource

from mlapi.registry.default_model import build_default_artifact

PUBLIC_OPERATIONS = {
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/register"),
    ("get", "/health"),
    ("get", "/livez"),
    ("get", "/readyz"),
    ("get", "/metrics"),
}
# The response fields that some answers leave out (every other one is in every answer).
SOMETIMES_ABSENT = {
    "Health": {"reason"},  # only when degraded
    "Status": {"reason"},  # only when not ready
    "ModelRecord": {"classes"},  # classifiers only
    "PredictionResult": {"probabilities"},  # classifiers only
    "NamedPredictionResult": {"probabilities", "alias"},  # alias: not for a version number
    "NamedBatchResult": {"alias"},
    "PredictionRecord": {"probabilities"},
    "PredictionDetail": {"probabilities"},
    "MetricsResult": {"mae", "accuracy"},  # one or the other, by the model's task
    "Problem": {"errors"},  # validation errors only
}
# The verb an operationId starts with, by method (POST names its action: login, predict...).
# ``export…``: a GET that answers a file to save, not a JSON body (``exportPredictions``).
VERBS = {
    "get": ("get", "list", "export"),
    "patch": ("update",),
    "delete": ("delete",),
    "put": ("set",),
}
OPERATION_ID = re.compile(r"^[a-z]+(?:[A-Z][a-z]+)*$")
ROOT = "urn:mlapi:openapi"


@pytest.fixture
def document(client) -> dict:
    return client.get("/openapi.json").get_json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method, path, operation


def _responses(document):
    """(method, path, status, response object) of every response, references resolved."""
    shared = document["components"]["responses"]
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if "$ref" in response:
                response = shared[response["$ref"].rsplit("/", 1)[1]]
            yield method, path, status, response


def _schema_name(node: dict) -> str | None:
    return node["$ref"].rsplit("/", 1)[1] if "$ref" in node else None


def _referenced(node, found: set[str]) -> None:
    """Add to ``found`` every component schema ``node`` refers to."""
    found.update(
        _schema_name(n)
        for n in _nodes(node)
        if n.get("$ref", "").startswith("#/components/schemas/")
    )


def _response_schemas(document) -> set[str]:
    names: set[str] = set()
    for *_, response in _responses(document):
        _referenced(response.get("content", {}), names)
    schemas = document["components"]["schemas"]
    pending = list(names)
    while pending:
        nested: set[str] = set()
        _referenced(schemas[pending.pop()], nested)
        pending.extend(nested - names)
        names |= nested
    return names


def _validator(document, name: str, *, request: bool = False):
    """A validator of schema ``name`` as a response (or ``request``) body."""
    registry = Registry().with_resource(ROOT, Resource.opaque(document))
    validator = OAS30WriteValidator if request else OAS30ReadValidator
    return validator({"$ref": f"{ROOT}#/components/schemas/{name}"}, registry=registry)


def test_every_operation_has_a_unique_readable_operation_id(document):
    ids = [
        (method, path, operation.get("operationId"))
        for method, path, operation in _operations(document)
    ]
    assert all(operation_id for *_, operation_id in ids), ids
    assert len({operation_id for *_, operation_id in ids}) == len(ids)
    for method, path, operation_id in ids:
        assert OPERATION_ID.match(operation_id), (method, path, operation_id)
        assert operation_id.startswith(VERBS.get(method, ("",))), (method, path, operation_id)


def test_response_fields_are_required_unless_some_answers_leave_them_out(document):
    schemas = document["components"]["schemas"]
    for name in _response_schemas(document):
        schema = schemas[name]
        if "properties" not in schema:
            continue  # a body of alternatives (none answered yet)
        optional = set(schema["properties"]) - set(schema.get("required", []))
        assert optional == SOMETIMES_ABSENT.get(name, set()), name


def test_a_nested_object_that_may_be_null_is_typed_as_that_object_or_null(document):
    schemas = document["components"]["schemas"]
    for schema, field, target in [
        ("Health", "default_model", "ModelRef"),
        ("PredictionDetail", "feedback", "FeedbackRecord"),
    ]:
        property_ = schemas[schema]["properties"][field]
        [reference, null] = property_["oneOf"]
        assert _schema_name(reference) == target
        assert null == {"type": "object", "nullable": True, "enum": [None]}
        validator = _validator(document, schema)
        assert not any(e.path and e.path[0] == field for e in validator.iter_errors({field: None}))
        assert any(e.path and e.path[0] == field for e in validator.iter_errors({field: {}}))
    assert {"type": "object", "nullable": True} not in list(_nodes(document))


def _nodes(node):
    """Every object of the document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def _untyped(node: dict) -> bool:
    return not ({"type", "$ref", "oneOf", "anyOf", "allOf"} & set(node))


def test_every_field_has_a_type(document):
    for name, schema in document["components"]["schemas"].items():
        for field, property_ in schema.get("properties", {}).items():
            assert not _untyped(property_), (name, field)
            if property_.get("type") == "array":
                assert not _untyped(property_["items"]), (name, field)


@pytest.mark.parametrize(
    ("schema", "field", "valid", "invalid"),
    [
        ("PredictionResult", "prediction", [151.3, 2, "setosa", True, [1.5, 2.5]], [None, {}]),
        ("FeedbackRequest", "actual_value", [151.0, 3, "setosa"], [None, True, [1]]),
        ("FeedbackRecord", "actual_value", [151.0, "setosa"], [None, False]),
    ],
)
def test_values_of_several_json_types_list_them(document, schema, field, valid, invalid):
    validator = _validator(document, schema, request=schema.endswith("Request"))

    def field_errors(value):
        return [e for e in validator.iter_errors({field: value}) if e.path and e.path[0] == field]

    assert all(not field_errors(value) for value in valid)
    assert all(field_errors(value) for value in invalid)


def test_security_is_stated_on_every_operation(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["refreshBearerAuth"]["scheme"] == "bearer"
    assert "refresh token" in schemes["refreshBearerAuth"]["description"]
    for method, path, operation in _operations(document):
        assert "security" in operation, (method, path)
        assert (operation["security"] == []) == ((method, path) in PUBLIC_OPERATIONS)
    refresh = document["paths"]["/api/v1/auth/refresh"]["post"]
    assert refresh["security"] == [{"refreshBearerAuth": []}]
    assert document["servers"][0]["url"] == "/"


def test_response_headers_are_declared_where_the_server_sends_them(document):
    headers = document["components"]["headers"]
    assert headers["X-Request-ID"]["required"]
    assert headers["Retry-After"]["required"]
    for method, path, status, response in _responses(document):
        declared = set(response.get("headers", {}))
        where = (method, path, status)
        assert "X-Request-ID" in declared, where
        assert ("Retry-After" in declared) == (status == "429"), where
        assert ("WWW-Authenticate" in declared) == (status == "401"), where
        limited = path.startswith("/api/") and not (
            status == "401" and operation_secured(document, method, path)
        )
        if status != "500":  # shared by every operation: not declared there
            assert ("X-RateLimit-Remaining" in declared) == limited, where
    for path in ("/api/v1/models", "/api/v1/webhooks"):
        assert "Location" in document["paths"][path]["post"]["responses"]["201"]["headers"]


def operation_secured(document, method: str, path: str) -> bool:
    return bool(document["paths"][path][method]["security"])


def test_metrics_are_documented_as_text(document):
    content = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert content["text/plain"]["schema"] == {"type": "string"}


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        ({"username": "alice", "password": "pw"}, True),
        ({"email": "alice@example.com", "password": "pw"}, True),
        ({"username": "alice", "email": "alice@example.com", "password": "pw"}, False),
        ({"password": "pw"}, False),
        ({"username": "alice"}, False),
        ({"email": "alice@example.com"}, False),
    ],
)
def test_login_takes_a_username_or_an_email_not_both(document, client, body, accepted):
    assert _validator(document, "LoginRequest", request=True).is_valid(body) == accepted
    if not accepted:
        assert client.post("/api/v1/auth/login", json=body).status_code == 422


def test_a_user_update_must_change_something(document, client, admin_headers, user):
    assert not _validator(document, "UserUpdate", request=True).is_valid({})
    response = client.patch(f"/api/v1/admin/users/{user.id}", json={}, headers=admin_headers)
    assert response.status_code == 422


def test_patterns_match_whole_values(document):
    patterns = [node["pattern"] for node in _nodes(document) if "pattern" in node]
    assert patterns
    assert all(p.startswith("^") and p.endswith("$") for p in patterns), patterns


def test_named_feature_examples_fit_the_built_in_model(document):
    _, feature_names = build_default_artifact()
    for path in ("/api/v1/models/{model_id}/predict", "/api/v1/models/{model_id}/batch-predict"):
        example = document["paths"][path]["post"]["requestBody"]["content"]["application/json"][
            "example"
        ]
        samples = example.get("samples", [example.get("features")])
        named = [sample for sample in samples if isinstance(sample, dict)]
        assert named, path
        assert all(sorted(sample) == sorted(feature_names) for sample in named), path
