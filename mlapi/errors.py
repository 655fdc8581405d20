"""The catalogue of API errors and their one renderer: RFC 9457 problem details.

Services raise the named errors below; ``register_error_handlers`` turns them, Werkzeug's
HTTP exceptions, JWT failures and anything unexpected into ``application/problem+json``
bodies carrying a stable ``code``. Nothing else in the app builds an error body.
"""

import json
import logging

from flask import Flask, Response, g
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

PROBLEM_MIMETYPE = "application/problem+json"

log = logging.getLogger("mlapi.errors")

# status -> code for errors raised by Flask/Werkzeug rather than by our services
HTTP_STATUS_CODES = {
    400: "malformed_json",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ApiError(Exception):
    """An error a client can act on. Subclasses fix the status and the default code."""

    status = 500
    code = "internal_error"
    detail = "The server could not complete the request."

    def __init__(self, detail=None, *, code=None, errors=None, headers=None):
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail
        self.code = code or self.code
        self.errors = errors
        self.headers = headers or {}


class MalformedJSON(ApiError):
    status, code, detail = 400, "malformed_json", "The request body must be a JSON object."


class Unauthorized(ApiError):
    status, code, detail = 401, "unauthorized", "Credentials are required."


class InvalidCredentials(Unauthorized):
    code, detail = "invalid_credentials", "Username or password is incorrect."


class TokenInvalid(Unauthorized):
    code, detail = "token_invalid", "The token is malformed, tampered with or of the wrong type."


class ApiKeyInvalid(Unauthorized):
    code, detail = "api_key_invalid", "The API key is unknown, deleted or expired."


class AccountInactive(Unauthorized):
    code, detail = "account_inactive", "This account has been deactivated."


class Forbidden(ApiError):
    status, code, detail = 403, "forbidden", "You are not allowed to do this."


class LoginRefused(Forbidden):
    code, detail = "account_inactive", "This account has been deactivated."


class NotFound(ApiError):
    status, code, detail = 404, "not_found", "The resource does not exist."


class Conflict(ApiError):
    status, code, detail = 409, "conflict", "The request conflicts with the current state."


class LastActiveAdmin(Conflict):
    detail = (
        "The last active administrator cannot be demoted or deactivated; "
        "make someone else an administrator first."
    )


class NameTaken(Conflict):
    """Users and teams share one namespace (``mlapi.teams.models.Namespace``)."""

    detail = "That name is already taken."


class LastMaintainer(Conflict):
    detail = (
        "The last active maintainer of a team cannot be demoted or removed; "
        "make another member a maintainer first."
    )


class TeamOwnsModels(Conflict):
    detail = "The team still owns live models: delete them or move them out of the team first."


class PayloadTooLarge(ApiError):
    status, code, detail = 413, "payload_too_large", "The request body is too large."


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"
    detail = "Send the body as application/json."


class ValidationFailed(ApiError):
    status, code, detail = 422, "validation_error", "The request is not valid."

    def __init__(self, errors: dict[str, list[str]], detail=None):
        super().__init__(detail or _summarise(errors), errors=errors)


class ModelNotPublic(ApiError):
    status, code = 422, "model_not_public"
    detail = "Only a public model can be the default model: every user must be able to use it."


class UntrustedModel(ApiError):
    status, code = 422, "untrusted_model"
    detail = "The model file contains types that are not on the allow-list."


class ModelLoadError(ApiError):
    status, code = 422, "model_load_error"
    detail = "The file could not be loaded as a scikit-learn estimator with predict()."


class PickleRefused(ApiError):
    status, code = 422, "pickle_refused"
    detail = (
        "The file is a pickle (or joblib) archive. Loading one runs whatever code it "
        "contains, so this server refuses them. Export the model with skops instead "
        "(skops.io.dump(model, 'model.skops')) and upload that file; an operator who "
        "trusts every uploader can allow pickles with MLAPI_ALLOW_PICKLE=true."
    )


class ModelUnavailable(ApiError):
    status, code = 503, "model_unavailable"
    detail = "The model's artifact is missing or damaged; an operator has been told."


class ServiceUnavailable(ApiError):
    status, code, detail = 503, "service_unavailable", "The database cannot be reached."


class SchemaMissing(ServiceUnavailable):
    """Before the first ``flask db upgrade`` (with ``MLAPI_AUTO_MIGRATE=false``)."""

    detail = (
        "The service is not set up yet: its database has no schema. An operator must "
        "run `flask db upgrade` (docs/production.md); no restart is needed."
    )


def problem(status: int, code: str, detail: str, *, errors=None, headers=None) -> Response:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body, allow_nan=False), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """``{"json": {"features": {3: [...]}}}`` -> ``{"features.3": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if not prefix and key in {"json", "query", "form", "files", "path", "headers"}:
                flat.update(flatten_errors(value, ""))
                continue
            name = "body" if key == "_schema" and not prefix else str(key)
            flat.update(flatten_errors(value, f"{prefix}.{name}" if prefix else name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat.setdefault(prefix or "body", []).extend(messages)
    else:
        flat.setdefault(prefix or "body", []).append(str(messages))
    return flat


def _summarise(errors: dict[str, list[str]]) -> str:
    first_field, messages = next(iter(errors.items()))
    return f"{first_field}: {messages[0]}" if messages else "The request is not valid."


def render_api_error(error: ApiError) -> Response:
    return problem(
        error.status, error.code, error.detail, errors=error.errors, headers=error.headers
    )


def render_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        return render_api_error(ValidationFailed(flatten_errors(data["messages"])))
    if status == 400:
        return render_api_error(MalformedJSON())
    if status >= 500:
        return render_unexpected(error)
    code = HTTP_STATUS_CODES.get(status, "error")
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem(status, code, error.description or TITLES.get(status, ""), headers=headers)


def render_unexpected(error: Exception) -> Response:
    log.error("unhandled error (request_id=%s)", g.get("request_id"), exc_info=error)
    return problem(
        500,
        "internal_error",
        "The server hit an unexpected error; it was logged "
        f"with request id {g.get('request_id', 'unknown')}.",
    )


def render_database_down(error: OperationalError | PoolTimeout) -> Response:
    """The database refused or dropped the connection, or none of the pool's connections
    came free in time (every one busy): either way it cannot serve this request now."""
    log.error(
        "database unavailable (request_id=%s): %s",
        g.get("request_id"),
        type(getattr(error, "orig", None) or error).__name__,
    )
    return render_api_error(ServiceUnavailable())


def register_error_handlers(app: Flask) -> None:
    """Call after ``Api(app)`` so these handlers win over flask-smorest's."""
    app.register_error_handler(ApiError, render_api_error)
    app.register_error_handler(HTTPException, render_http_exception)
    app.register_error_handler(OperationalError, render_database_down)
    app.register_error_handler(PoolTimeout, render_database_down)
    app.register_error_handler(Exception, render_unexpected)
