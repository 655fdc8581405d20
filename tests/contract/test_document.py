"""The OpenAPI document: valid, complete, and in step with the URL map.

Driven by the app's URL map and the document itself, so an endpoint added later is
checked with no change here.
"""

import pytest
from openapi_spec_validator import validate

from tests.contract_client import openapi_path

# Endpoints that serve the documentation itself (and the way to it) rather than the API.
NOT_API_ENDPOINTS = ("static", "api-docs.", "docs-assets.", "docs-home.")
PUBLIC_OPERATIONS = {
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
}
PROBLEM = "#/components/schemas/Problem"
REFRESH = ("post", "/api/v1/auth/refresh")


@pytest.fixture
def document(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method, path, operation


def _url_map_operations(app) -> set[tuple[str, str]]:
    return {
        (method.lower(), openapi_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.startswith(NOT_API_ENDPOINTS)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_document_is_valid_openapi_3(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_route_is_documented_and_every_documented_route_exists(app, document):
    documented = {(method, path) for method, path, _ in _operations(document)}
    assert _url_map_operations(app) == documented


def test_every_operation_has_a_summary_a_tag_and_a_success_response(document):
    for method, path, operation in _operations(document):
        assert operation.get("summary"), (method, path)
        assert operation.get("tags"), (method, path)
        assert any(status.startswith("2") for status in operation["responses"]), (method, path)


def test_every_tag_has_a_description(document):
    tags = {tag["name"]: tag.get("description") for tag in document["tags"]}
    used = {tag for _, _, operation in _operations(document) for tag in operation["tags"]}
    assert used <= tags.keys()
    assert all(tags[name] for name in used)


SESSION_ONLY_OPERATIONS = {
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/logout-all"),
    ("post", "/api/v1/auth/password"),
    ("post", "/api/v1/auth/api-keys"),
    ("get", "/api/v1/auth/api-keys"),
    ("delete", "/api/v1/auth/api-keys/{key_id}"),
    ("post", "/api/v1/auth/api-keys/{key_id}/rotate"),
}


def test_api_operations_take_a_token_or_a_key_except_sign_up_and_sign_in(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKeyAuth"] == {
        **schemes["apiKeyAuth"],
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    for method, path, operation in _operations(document):
        if not path.startswith("/api/") or (method, path) in PUBLIC_OPERATIONS:
            continue
        if (method, path) == REFRESH:
            assert operation.get("security") == [{"refreshBearerAuth": []}]
            assert "403" in operation["responses"]
        elif (method, path) in SESSION_ONLY_OPERATIONS:
            assert operation.get("security") == [{"bearerAuth": []}], (method, path)
            assert "403" in operation["responses"], (method, path)
        else:
            assert operation.get("security") == [{"bearerAuth": []}, {"apiKeyAuth": []}], (
                method,
                path,
            )
        assert "401" in operation["responses"], (method, path)


def test_no_catch_all_default_response_hides_undocumented_statuses(document):
    for method, path, operation in _operations(document):
        assert "default" not in operation["responses"], (method, path)


def test_error_responses_are_problem_details(document):
    components = document["components"]["responses"]
    for method, path, operation in _operations(document):
        if path in {"/health", "/readyz"}:
            continue  # plain JSON bodies by design
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            if "$ref" in response:
                response = components[response["$ref"].rsplit("/", 1)[1]]
            schema = response["content"]["application/problem+json"]["schema"]
            assert schema == {"$ref": PROBLEM}, (method, path, status)


def test_request_bodies_are_documented_with_their_limits(document):
    """JSON everywhere, except uploads (``ApiBlueprint.upload``), which are multipart forms."""
    for method, path, operation in _operations(document):
        if "requestBody" not in operation:
            continue
        [media_type] = operation["requestBody"]["content"]
        assert media_type in {"application/json", "multipart/form-data"}, (method, path)
        for status in ("400", "413", "415", "422"):
            assert status in operation["responses"], (method, path, status)


def test_collections_document_the_pagination_parameters_and_envelope(document):
    schemas = document["components"]["schemas"]
    for method, path, operation in _operations(document):
        success = operation["responses"].get("200", {})
        ref = success.get("content", {}).get("application/json", {}).get("schema", {})
        schema = schemas.get(ref.get("$ref", "").rsplit("/", 1)[-1], {})
        if "items" not in schema.get("properties", {}):
            continue
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        assert {"page", "per_page"} <= names, (method, path)
        assert {"items", "page", "per_page", "total", "pages"} == set(schema["properties"])


@pytest.mark.parametrize("path", ["/health", "/readyz"])
def test_health_and_readiness_document_their_503_as_plain_json(document, path):
    response = document["paths"][path]["get"]["responses"]["503"]
    assert set(response["content"]) == {"application/json"}


def test_problem_schema_has_the_rfc_9457_fields_and_code(document):
    properties = document["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "code", "errors"} <= set(properties)


def test_path_ids_are_documented_as_positive_integers(document):
    ids = [
        (path, parameter["schema"])
        for path, item in document["paths"].items()
        for parameter in item.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"].endswith("_id")
    ]
    assert ids, "no path ids found: is the document still listing path parameters?"
    for path, schema in ids:
        assert (schema["type"], schema["minimum"]) == ("integer", 1), path
