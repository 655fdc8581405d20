"""flask-smorest wiring: the Api whose errors are problem details, and the Blueprint
every domain uses, whose decorators are at once the behaviour and the OpenAPI doc."""

import http
from functools import wraps

import marshmallow as ma
from flask_jwt_extended import verify_jwt_in_request
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response

from .errors import PROBLEM_MIMETYPE, TITLES, render_http_exception

BEARER_AUTH = {"bearerAuth": []}


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error of this API is sent."""

    type = ma.fields.String(metadata={"example": "about:blank"})
    title = ma.fields.String(metadata={"example": "Unprocessable Content"})
    status = ma.fields.Integer(metadata={"example": 422})
    detail = ma.fields.String(metadata={"example": "features: expected 10 values, got 3."})
    code = ma.fields.String(metadata={"description": "Stable machine-readable error code.",
                                      "example": "validation_error"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Validation messages by field (dotted paths for nesting)."})


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = "DEFAULT_ERROR"

    def handle_http_exception(self, error):
        return render_http_exception(error)

    def _register_responses(self):
        """flask-smorest's shared responses (the 422 of every body, the default error),
        documented as ``application/problem+json``, the type they are sent with."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


class ApiBlueprint(Blueprint):
    def problems(self, *statuses: int):
        """Document the error statuses a view may answer with."""

        def decorator(func):
            for status in statuses:
                func = self.alt_response(status, schema=ProblemSchema,
                                         content_type="application/problem+json",
                                         description=TITLES[status])(func)
            return func

        return decorator

    def authenticated(self, func=None, *, refresh: bool = False):
        """Require a valid, unrevoked token of an active user; document it."""

        def decorator(view):
            @wraps(view)
            def guarded(*args, **kwargs):
                verify_jwt_in_request(refresh=refresh)
                return view(*args, **kwargs)

            return Blueprint.doc(security=[BEARER_AUTH])(self.problems(401)(guarded))

        return decorator(func) if func is not None else decorator


def register_security_schemes(api: Api) -> None:
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
