"""/openapi.json: an OpenAPI 3 document of every route, its security and its problem errors."""

import re

import pytest

PUBLIC_OPERATIONS = {("post", "/api/v1/auth/register"), ("post", "/api/v1/auth/login")}
PROBLEM = "application/problem+json"


@pytest.fixture
def document(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def api_operations(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every /api/v1 route the app serves."""
    operations = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            operations |= {(m.lower(), path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return operations


def resolve(document: dict, response: dict) -> dict:
    while "$ref" in response:
        *_, kind, name = response["$ref"].split("/")
        response = document["components"][kind][name]
    return response


def error_responses(document: dict):
    """Every documented error of the /api/v1 operations, resolved."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or not path.startswith("/api/v1/"):
                continue
            for status, response in operation["responses"].items():
                if status == "default" or int(status) >= 400:
                    yield f"{method} {path} {status}", resolve(document, response)


def test_document_is_openapi_3(document):
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "mlapi"


def test_every_api_route_is_documented_with_its_methods(app, document):
    documented = {(method, path) for path, item in document["paths"].items()
                  for method in item if method != "parameters"}

    missing = api_operations(app) - documented

    assert api_operations(app)
    assert missing == set()


@pytest.mark.parametrize("path", ["/health", "/livez", "/readyz"])
def test_operations_endpoints_are_documented(document, path):
    assert "get" in document["paths"][path]


def test_bearer_auth_scheme_is_declared(document):
    scheme = document["components"]["securitySchemes"]["bearerAuth"]

    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_every_api_operation_but_register_and_login_requires_bearer_auth(app, document):
    for method, path in api_operations(app):
        security = document["paths"][path][method].get("security")
        if (method, path) in PUBLIC_OPERATIONS:
            assert not security, (method, path)
        else:
            assert security == [{"bearerAuth": []}], (method, path)


def test_secured_operations_document_401(app, document):
    for method, path in api_operations(app) - PUBLIC_OPERATIONS:
        assert "401" in document["paths"][path][method]["responses"], (method, path)


def test_every_error_response_is_a_problem_document(document):
    checked = 0
    for where, response in error_responses(document):
        assert set(response["content"]) == {PROBLEM}, where
        assert response["content"][PROBLEM]["schema"] == {
            "$ref": "#/components/schemas/Problem"}, where
        checked += 1

    assert checked > 0


@pytest.mark.parametrize("path", ["/health", "/readyz"])
def test_operations_503_is_documented_as_plain_json(document, path):
    response = resolve(document, document["paths"][path]["get"]["responses"]["503"])

    assert set(response["content"]) == {"application/json"}


def test_problem_schema_has_the_rfc_9457_fields_and_code(document):
    properties = document["components"]["schemas"]["Problem"]["properties"]

    assert {"type", "title", "status", "detail", "code", "errors"} <= set(properties)


def test_path_ids_are_documented_as_positive_integers(document):
    [parameter] = document["paths"]["/api/v1/predictions/{prediction_id}"]["parameters"]

    assert parameter["schema"]["type"] == "integer"
    assert parameter["schema"]["minimum"] == 1


def test_collections_are_documented_with_the_page_envelope(document):
    ok = document["paths"]["/api/v1/predictions"]["get"]["responses"]["200"]
    envelope = resolve(document, ok["content"]["application/json"]["schema"])

    assert set(envelope["properties"]) == {"items", "page", "per_page", "total", "pages"}
    assert envelope["properties"]["items"]["type"] == "array"
