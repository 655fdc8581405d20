"""The order of refusals: when a request has
two faults, the one earlier in 404/405 (routing) → 401 (credentials) → 429 (budget) → 403
(role or credential kind) → 413/415/400 (body) → 422 (validation) is the one answered.

The routes come from the app's URL map and the operations from its OpenAPI document, so a
route added later is walked with no change here. Each test pairs one early fault with every
later one (a broken, a non-JSON, an oversized body, a NUL character in a query parameter)
and checks the early refusal wins; the named cases are the outside test's findings.
"""

import re

import pytest
from werkzeug.routing import Rule

from mlapi import create_app
from tests.contract_client import openapi_path
from tests.security.test_injection import OPERATIONS, concrete
from tests.unit.helpers import ROW, assert_problem

BODY_METHODS = ("POST", "PUT", "PATCH")
# name -> (content type, body): each a fault the body checks refuse (400/413/415), or that
# the validation refuses (422), if the request gets that far.
BAD_BODIES = {
    "broken-json": ("application/json", "{"),
    "text": ("text/plain", "name=x"),
    "nul-in-json": ("application/json", '{"name": "x\\u0000"}'),
    "over-the-limit": ("application/json", '{"a": "' + "x" * (1 << 20) + '"}'),
}
NUL_QUERIES = ["x=%00", "page=%00", "name=a%00b"]
UNKNOWN_PATHS = [
    "/api/v1/does-not-exist",
    "/api/v1/models/1/does-not-exist",
    "/nope",
    "/api/v2/models",
]
ADMIN_ONLY = [op for op in OPERATIONS if op.path.startswith("/api/v1/admin/")]


def _fresh_app():
    return create_app(
        {"ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", "AUTO_MIGRATE": False}
    )


def _routes(app) -> list[tuple[str, set[str]]]:
    """(a concrete path, its methods) of every route in the URL map."""
    rules: list[Rule] = list(app.url_map.iter_rules())
    return [
        (
            concrete(openapi_path(rule.rule).replace("{filename}", "x.js")),
            set(rule.methods) - {"HEAD", "OPTIONS"},
        )
        for rule in rules
    ]


def _secured(app) -> dict[tuple[str, str], set[str]]:
    """(METHOD, path) -> the credential schemes of every operation that needs one."""
    paths = app.extensions["mlapi.api"].spec.to_dict()["paths"]
    return {
        (method.upper(), path): {name for scheme in op["security"] for name in scheme}
        for path, methods in paths.items()
        for method, op in methods.items()
        if method != "parameters" and op.get("security")
    }


_APP = _fresh_app()
ROUTES = _routes(_APP)
SECURED = _secured(_APP)
AUTHENTICATED = [op for op in OPERATIONS if (op.method, op.path) in SECURED]
SESSION_ONLY = [op for op in AUTHENTICATED if "apiKeyAuth" not in SECURED[(op.method, op.path)]]


def send(
    client,
    method: str,
    path: str,
    body: str | None = None,
    *,
    query: str = "",
    headers: dict | None = None,
):
    content_type, data = BAD_BODIES[body] if body else (None, None)
    return client.open(
        f"{path}?{query}" if query else path,
        method=method,
        data=data,
        content_type=content_type,
        headers=headers or {},
    )


def mismatches(cases, expected_status: int) -> list[str]:
    """The cases (label, response) not answered with ``expected_status``."""
    return [
        f"{label}: {response.status_code} {response.get_json(silent=True)}"
        for label, response in cases
        if response.status_code != expected_status
    ]


# --- the outside test's findings, one by one ---


def test_a_text_body_sent_with_a_method_the_collection_lacks_is_405(client, auth_headers):
    response = send(client, "PUT", "/api/v1/models", "text", headers=auth_headers)

    assert_problem(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_broken_json_sent_with_a_method_livez_lacks_is_405(client):
    response = send(client, "PATCH", "/livez", "broken-json")

    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_broken_json_sent_to_an_unknown_path_is_404(client, auth_headers):
    response = send(client, "POST", "/api/v1/does-not-exist", "broken-json", headers=auth_headers)

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    ("path", "signed_in", "status", "code"),
    [
        ("/api/v1/does-not-exist", True, 404, "not_found"),
        ("/api/v1/models", False, 401, "unauthorized"),
        ("/api/v1/users/me", False, 401, "unauthorized"),
    ],
)
def test_a_nul_in_an_unknown_query_parameter_leaves_routing_and_credentials_first(
    client, auth_headers, path, signed_in, status, code
):
    response = send(client, "GET", path, query="x=%00", headers=auth_headers if signed_in else None)

    assert_problem(response, status, code)


def test_a_nul_in_an_unknown_query_parameter_is_ignored(client, auth_headers):
    response = send(client, "GET", "/api/v1/models", query="x=%00&y%00=1", headers=auth_headers)

    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/auth/login", '{"username": "alice\\u0000", "password": "pw"}', "username"),
        (
            "/api/v1/auth/register",
            '{"username": "alice", "email": "a@example.com", '
            '"password": "s3cret-password", "full_name": "Al\\u0000ice"}',
            "full_name",
        ),
        ("/api/v1/predict", '{"features": [1, 2], "comment": ["\\u0000"]}', "comment.0"),
    ],
)
def test_a_nul_inside_a_json_string_is_a_validation_error_on_that_field(
    client, auth_headers, path, body, field
):
    response = client.post(path, data=body, content_type="application/json", headers=auth_headers)

    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert field in errors
    assert "NUL" in errors[field][0]


# --- every route and operation, each early fault paired with every later one ---


def test_an_unknown_path_is_404_whatever_the_body_or_query(client, auth_headers):
    cases = [
        (f"{method} {path} {body}", send(client, method, path, body, headers=auth_headers))
        for path in UNKNOWN_PATHS
        for method in BODY_METHODS
        for body in BAD_BODIES
    ]
    cases += [
        (f"GET {path}?{query}", send(client, "GET", path, query=query))
        for path in UNKNOWN_PATHS
        for query in NUL_QUERIES
    ]

    assert mismatches(cases, 404) == []


def test_a_method_a_route_lacks_is_405_whatever_the_body_or_query(client, auth_headers):
    cases = []
    for path, methods in ROUTES:
        for method in [m for m in (*BODY_METHODS, "DELETE") if m not in methods]:
            bodies = BAD_BODIES if method in BODY_METHODS else [None]
            cases += [
                (
                    f"{method} {path} {body}",
                    send(client, method, path, body, query=NUL_QUERIES[0], headers=auth_headers),
                )
                for body in bodies
            ]

    assert mismatches(cases, 405) == []
    assert all("Allow" in response.headers for _, response in cases)


@pytest.mark.parametrize("credential", ["none", "bad-token", "bad-key"])
def test_a_caller_without_a_valid_credential_is_401_whatever_the_body_or_query(client, credential):
    headers = {
        "none": {},
        "bad-token": {"Authorization": "Bearer not.a.token"},
        "bad-key": {"X-API-Key": "mlapi_nonsense"},
    }[credential]
    cases = []
    for op in AUTHENTICATED:
        path = concrete(op.path)
        bodies = BAD_BODIES if op.method in BODY_METHODS else [None]
        cases += [
            (f"{op.id} {body}", send(client, op.method, path, body, headers=headers))
            for body in bodies
        ]
        cases += [
            (f"{op.id} ?{query}", send(client, op.method, path, query=query, headers=headers))
            for query in NUL_QUERIES
        ]

    assert mismatches(cases, 401) == []


@pytest.fixture
def app_config(app_config, request):
    """Many requests per test: no budgets, except in a test made with ``tight_budget``, where
    each credential has one request a minute, so its second one meets a spent budget."""
    if getattr(request.function, "tight_budget", False):
        return {
            **app_config,
            "RATELIMIT_DEFAULT": "1 per minute",
            "RATELIMIT_PREDICT": "1 per minute",
        }
    return {**app_config, "RATELIMIT_ENABLED": False}


def tight_budget(test):
    test.tight_budget = True
    return test


@tight_budget
@pytest.mark.parametrize(
    "op",
    [
        pytest.param(op, id=op.id)
        for op in AUTHENTICATED
        if op.method in BODY_METHODS and op.path != "/api/v1/auth/refresh"
    ],
)  # needs its own token
def test_a_spent_budget_is_429_whatever_the_body(client, make_user, sign_in, op):
    headers = sign_in(make_user(role="admin")).headers
    spend = "/api/v1/predict" if op.path.endswith("predict") else "/api/v1/users/me"
    client.open(
        spend,
        method="POST" if spend.endswith("predict") else "GET",
        json={"features": ROW} if spend.endswith("predict") else None,
        headers=headers,
    )

    cases = [
        (f"{op.id} {body}", send(client, op.method, concrete(op.path), body, headers=headers))
        for body in BAD_BODIES
    ]

    assert mismatches(cases, 429) == []


def test_a_user_on_an_admin_route_is_403_whatever_the_body(client, auth_headers):
    cases = []
    for op in ADMIN_ONLY:
        bodies = BAD_BODIES if op.method in BODY_METHODS else [None]
        cases += [
            (
                f"{op.id} {body}",
                send(client, op.method, concrete(op.path), body, headers=auth_headers),
            )
            for body in bodies
        ]

    assert mismatches(cases, 403) == []


def test_an_api_key_on_account_management_is_403_whatever_the_body(client, auth_headers):
    key = client.post("/api/v1/auth/api-keys", json={"name": "job"}, headers=auth_headers)
    headers = {"X-API-Key": key.get_json()["key"]}
    cases = []
    for op in SESSION_ONLY:
        bodies = BAD_BODIES if op.method in BODY_METHODS else [None]
        cases += [
            (f"{op.id} {body}", send(client, op.method, concrete(op.path), body, headers=headers))
            for body in bodies
        ]

    assert mismatches(cases, 403) == []


@pytest.mark.parametrize(
    "op", [pytest.param(op, id=op.id) for op in OPERATIONS if op.media_type == "application/json"]
)
def test_a_body_fault_is_answered_before_the_object_named_in_the_path_is_looked_up(
    client, admin_headers, op
):
    """Object ids that do not exist: the body is judged first (its status depends on the
    body alone), then the object (404)."""
    path = concrete(op.path, dict.fromkeys(re.findall(r"{(\w+)}", op.path), 999_999))
    expected = {"broken-json": 400, "text": 415, "over-the-limit": 413}

    cases = {body: send(client, op.method, path, body, headers=admin_headers) for body in expected}

    assert {body: r.status_code for body, r in cases.items()} == expected


@tight_budget
def test_a_spent_budget_is_429_before_an_api_key_is_refused_account_management(
    client, auth_headers
):
    """The credential kind's 403 comes after the budget: a key whose budget is spent gets
    429 on account management as everywhere, whatever the body."""
    key = client.post("/api/v1/auth/api-keys", json={"name": "job"}, headers=auth_headers)
    headers = {"X-API-Key": key.get_json()["key"]}
    client.get("/api/v1/users/me", headers=headers)

    cases = [
        (f"{op.id} {body}", send(client, op.method, concrete(op.path), body, headers=headers))
        for op in SESSION_ONLY
        for body in (BAD_BODIES if op.method in BODY_METHODS else [None])
    ]

    assert mismatches(cases, 429) == []


OBJECT_OPERATIONS = [
    op for op in OPERATIONS if "{" in op.path and (op.media_type == "application/json" or op.query)
]


@pytest.mark.parametrize("op", [pytest.param(op, id=op.id) for op in OBJECT_OPERATIONS])
def test_an_object_that_does_not_exist_is_404_before_the_body_or_query_is_validated(
    client, admin_headers, op
):
    path = concrete(op.path, dict.fromkeys(re.findall(r"{(\w+)}", op.path), 999_999))
    query = {name: "\x00" for name in op.query}
    body = {"json": {"not-a-field": "\x00"}} if op.media_type else {}

    response = client.open(
        path, method=op.method, query_string=query, headers=admin_headers, **body
    )

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/v1/models/{model_id}"),
        ("POST", "/api/v1/models/{model_id}/predict"),
        ("POST", "/api/v1/models/{model_id}/batch-predict"),
        ("POST", "/api/v1/predictions/{prediction_id}/feedback"),
    ],
)
def test_someone_elses_object_is_refused_before_the_body_is_validated(
    client, auth_headers, make_user, sign_in, upload_model, method, path
):
    owner = sign_in(make_user()).headers
    ids = {
        "model_id": upload_model(owner, "theirs", visibility="private")["id"],
        "prediction_id": client.post(
            "/api/v1/predict", json={"features": ROW}, headers=owner
        ).get_json()["prediction_id"],
    }

    response = client.open(
        concrete(path, ids), method=method, json={"not-a-field": 1}, headers=auth_headers
    )

    assert response.status_code in {403, 404}, response.get_json()
