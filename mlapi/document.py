"""What the OpenAPI document says beyond each view's decorators, so that clients generated
from it (openapi-python-client, openapi-typescript) are typed as the server behaves
(issue 18; docs/api.md, "Generated clients").

- A response body's fields are ``required`` (always sent) unless its schema names them in
  ``ResponseSchema.SOMETIMES_ABSENT``; a field that may be null says ``nullable``.
- A nested object that may be null is "that schema, or null" (``nullable_reference``),
  in a form both generators type as such.
- A request schema may add JSON Schema keywords (``DOCUMENT_KEYWORDS``) or be documented
  as one of several alternatives (``DOCUMENTED_ALTERNATIVES``).
- Every operation states its security (``[]``: no credential), the errors every operation
  can meet (``CommonProblemsPlugin``) and the headers the server sends (``HEADERS``).
"""

from http import HTTPStatus

import marshmallow as ma
from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls

BEARER_AUTH = {"bearerAuth": []}
REFRESH_BEARER_AUTH = {"refreshBearerAuth": []}
API_KEY_AUTH = {"apiKeyAuth": []}
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The access token of a sign-in (`access_token` of login or refresh).",
    },
    "refreshBearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The refresh token of a sign-in (`refresh_token` "
        "of login), sent the same way; only refresh "
        "takes it.",
    },
}


class ResponseSchema(ma.Schema):
    """A body the API sends: every field is in every answer (``required`` in the
    document), except those ``SOMETIMES_ABSENT`` names. A field that is always there but
    may be null is ``allow_none`` (``nullable`` in the document)."""

    SOMETIMES_ABSENT: tuple[str, ...] = ()


def _integer(description: str) -> dict:
    return {"description": description, "schema": {"type": "integer", "minimum": 0}}


HEADERS = {
    "X-Request-ID": {
        "description": "The request's id: the client's own `X-Request-ID` when it is 1 to "
        "128 characters of `[A-Za-z0-9._:-]`, else one the server made. The "
        "server's log line for the request carries it.",
        "required": True,
        "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{1,128}$"},
    },
    "Retry-After": {
        **_integer("Seconds to wait before the next request counts again."),
        "required": True,
    },
    "X-RateLimit-Limit": _integer(
        "Requests the budget this request spent allows per window (sent when rate limits are on)."
    ),
    "X-RateLimit-Remaining": _integer("Requests left in the current window."),
    "X-RateLimit-Reset": _integer("When the window resets, in seconds since the epoch."),
    "WWW-Authenticate": {
        "description": "The scheme to authenticate with.",
        "required": True,
        "schema": {"type": "string", "example": "Bearer"},
    },
    "Location": {
        "description": "The URL of the object made.",
        "required": True,
        "schema": {"type": "string", "format": "uri-reference"},
    },
}
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
LOCATION = {"Location": "Location"}
# Shared error responses that only ``/api/`` operations (all rate limited, mlapi.limits)
# refer to: the four of a request body, 429 and 503 (/health and /readyz have their own).
_LIMITED_SHARED = (
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    HTTPStatus.UNPROCESSABLE_ENTITY,
    HTTPStatus.TOO_MANY_REQUESTS,
    HTTPStatus.SERVICE_UNAVAILABLE,
)


def response_headers(status: int, *, rate_limited: bool) -> dict[str, str]:
    """The headers (component names) of a response with ``status``."""
    names = ["X-Request-ID"]
    if rate_limited:
        names += RATE_LIMIT_HEADERS
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        names.append("Retry-After")
    if status == HTTPStatus.UNAUTHORIZED:
        names.append("WWW-Authenticate")
    return {name: name for name in names}


def shared_response_headers(status: HTTPStatus) -> dict[str, str]:
    return response_headers(status, rate_limited=status in _LIMITED_SHARED)


class CommonProblemsPlugin(BasePlugin):
    """Documents the errors any operation can meet, so no view has to repeat them.

    Every operation may fail with 500; everything under ``/api/`` touches the database
    (503) and is rate limited (429, ``mlapi.limits``); a body an operation reads passes
    the body checks of ``mlapi.http`` (400 malformed JSON, 413 too large, 415 not JSON).
    """

    BODY_STATUSES = (
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    )

    def operation_helper(self, path=None, operations=None, **_kwargs):
        for method, operation in (operations or {}).items():
            statuses = [HTTPStatus.INTERNAL_SERVER_ERROR]
            if path and path.startswith("/api/"):
                statuses.extend((HTTPStatus.SERVICE_UNAVAILABLE, HTTPStatus.TOO_MANY_REQUESTS))
            if method in {"post", "put", "patch"}:
                statuses.extend(self.BODY_STATUSES)
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(str(status.value), status.name)


class DocumentPlugin(BasePlugin):
    """Schemas: ``required`` of response bodies, the keywords and alternatives of request
    bodies. Operations: ``security: []`` where no credential is asked for, and the
    headers of each response written in the view (the shared ones get theirs in
    ``mlapi.api.init_api``). Runs after ``MarshmallowPlugin`` (flask-smorest puts extra
    plugins last).
    """

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        self._marshmallow = next(p for p in spec.plugins if isinstance(p, MarshmallowPlugin))

    def schema_helper(self, name, definition, schema=None, **_kwargs):
        if schema is None:
            return None
        cls = resolve_schema_cls(schema)
        if issubclass(cls, ResponseSchema):
            definition["required"] = _always_sent(cls)
        definition.update(getattr(cls, "DOCUMENT_KEYWORDS", {}))
        alternatives = getattr(cls, "DOCUMENTED_ALTERNATIVES", ())
        if alternatives:  # each alternative lists its own properties
            description = definition.get("description")
            definition.clear()
            definition["oneOf"] = [
                self._marshmallow.converter.resolve_nested_schema(alt) for alt in alternatives
            ]
            if description:
                definition["description"] = description
        return None

    def operation_helper(self, path=None, operations=None, **_kwargs):
        limited = bool(path) and path.startswith("/api/")
        for operation in (operations or {}).values():
            signed_in = bool(operation.setdefault("security", []))
            for status, response in operation.get("responses", {}).items():
                if not isinstance(response, dict):
                    continue  # a shared response (``describe`` gives it its headers)
                # An operation asking for a credential checks it before spending a
                # budget: its 401 carries no X-RateLimit-* headers.
                status = int(status)  # flask-smorest's keys are ints, the plugins' strings
                counted = limited and not (signed_in and status == HTTPStatus.UNAUTHORIZED)
                headers = response.setdefault("headers", {})
                for name, ref in response_headers(status, rate_limited=counted).items():
                    headers.setdefault(name, ref)


def _always_sent(cls: type[ResponseSchema]) -> list[str]:
    fields = cls().dump_fields
    unknown = set(cls.SOMETIMES_ABSENT) - set(fields)
    if unknown:
        raise ValueError(f"{cls.__name__}.SOMETIMES_ABSENT names no field: {sorted(unknown)}")
    return [
        field.data_key or name for name, field in fields.items() if name not in cls.SOMETIMES_ABSENT
    ]


# The value null and nothing else, as OpenAPI 3.0 can say it (``nullable`` counts only
# next to a ``type``, OAS 3.0.3).
NULL_ONLY = {"type": "object", "nullable": True, "enum": [None]}


def nullable_reference(self, field: ma.fields.Field, ret: dict, **_kwargs) -> dict:
    """A nested schema that may be null: ``oneOf: [{$ref}, NULL_ONLY]``.

    apispec writes ``anyOf: [{type: object, nullable: true}, {$ref}]`` for OpenAPI 3.0;
    openapi-python-client takes its bare-object member first, so the client's
    ``health.default_model.id`` raised AttributeError. ``allOf: [$ref]`` +
    ``nullable: true`` types well in the generators but, by OAS 3.0.3, does not admit
    null (strict validators refuse it). This form is ``ModelRef | None`` in
    openapi-python-client 0.29 and ``ModelRef | null`` in openapi-typescript 7, and
    admits null everywhere. An attribute function of the marshmallow converter
    (``self``), run after apispec's own."""
    if not (isinstance(field, ma.fields.Nested) and field.allow_none and "anyOf" in ret):
        return {}
    references = [member for member in ret.pop("anyOf") if "$ref" in member]
    return {"oneOf": [*references, NULL_ONLY]}


def describe(spec: APISpec, marshmallow: MarshmallowPlugin) -> None:
    """The components the plugins refer to: security schemes and headers, and the
    nullable-reference rule for every nested field."""
    marshmallow.converter.add_attribute_function(nullable_reference)
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    for name, header in HEADERS.items():
        spec.components.header(name, header, lazy=True)
