"""The checking client that every test uses refuses responses the document does not describe.

These tests add misbehaving routes to a test app — routes the document does describe —
and expect the client to catch each kind of mismatch.
"""

import pytest
from flask import Response, jsonify

from tests.contract_client import Contract, ContractClient, ContractViolation

DOCUMENT = {
    "openapi": "3.0.3",
    "paths": {
        "/api/v1/things/{thing_id}": {
            "get": {
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        }
                    },
                    "404": {"$ref": "#/components/responses/NOT_FOUND"},
                    "204": {"description": "gone"},
                }
            }
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "integer"},
                    "note": {"type": "string", "nullable": True},
                },
            },
            "Problem": {"type": "object", "properties": {"code": {"type": "string"}}},
        },
        "responses": {
            "NOT_FOUND": {
                "description": "missing",
                "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            }
        },
    },
}
PATH = "/api/v1/things/{thing_id}"


def respond(status: int, body: bytes = b"", mimetype: str = "application/json") -> Response:
    return Response(body, status=status, mimetype=mimetype)


@pytest.mark.parametrize(
    "response",
    [
        respond(200, b'{"id": 3, "note": null}'),
        respond(404, b'{"code": "not_found"}', "application/problem+json"),
        respond(204),
    ],
    ids=["documented body", "documented problem", "documented empty"],
)
def test_documented_responses_pass(response):
    Contract(DOCUMENT).check(PATH, "GET", response)


@pytest.mark.parametrize(
    ("response", "complaint"),
    [
        (respond(418, b"{}"), "status not documented"),
        (respond(404, b'{"code": "not_found"}'), "content type application/json not in"),
        (respond(200, b'{"id": "three"}'), "body does not match"),
        (respond(200, b'{"note": "no id"}'), "body does not match"),
        (respond(204, b"surprise"), "documented without a body"),
    ],
    ids=[
        "undocumented status",
        "wrong content type",
        "wrong field type",
        "missing field",
        "unexpected body",
    ],
)
def test_mismatches_are_refused(response, complaint):
    with pytest.raises(ContractViolation, match=complaint):
        Contract(DOCUMENT).check(PATH, "GET", response)


def test_operations_outside_the_document_are_not_judged():
    Contract(DOCUMENT).check("/somewhere/else", "GET", respond(418))
    Contract(DOCUMENT).check(PATH, "DELETE", respond(418))


def test_every_test_client_checks_responses(app, client):
    assert isinstance(client, ContractClient)

    @app.get("/api/v1/users/me/teapot")
    def teapot():
        return jsonify(ok=True), 418

    # Route exists in the URL map but not in the document: not judged.
    assert client.get("/api/v1/users/me/teapot").status_code == 418


def test_a_documented_route_answering_an_undocumented_status_fails_the_test(
    app, client, auth_headers
):
    """Simulate a regression: /users/me starts answering 418."""
    app.view_functions["accounts.Me"] = lambda: (jsonify(ok=True), 418)
    with pytest.raises(ContractViolation, match="GET /api/v1/users/me -> 418"):
        client.get("/api/v1/users/me", headers=auth_headers)


def test_a_documented_route_losing_a_field_fails_the_test(app, client, auth_headers):
    app.view_functions["accounts.Me"] = lambda: (jsonify(id="not-an-int"), 200)
    with pytest.raises(ContractViolation, match="body does not match"):
        client.get("/api/v1/users/me", headers=auth_headers)
