"""flask-smorest wiring: the Api whose errors are problem details, and the Blueprint
every domain uses, whose decorators are at once the behaviour and the OpenAPI doc."""

from functools import partial, wraps
from http import HTTPStatus

import marshmallow as ma
from flask import Flask, g
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from .auth.credentials import API_KEY_HEADER, authenticate, refuse_api_key
from .document import (
    API_KEY_AUTH,
    BEARER_AUTH,
    REFRESH_BEARER_AUTH,
    CommonProblemsPlugin,
    DocumentPlugin,
    ResponseSchema,
    describe,
    shared_response_headers,
)
from .errors import PROBLEM_MIMETYPE, TITLES, render_http_exception
from .http import (
    admit_upload,
    read_json_body,
    refuse_nul,
    refuse_nul_in_strings,
    unreadable_body_is_400,
)
from .limits import ADDRESS_BUDGETS, CALLER_BUDGETS, declare_budget, spend
from .strict_json import json_answer


class ProblemSchema(ResponseSchema):
    """RFC 9457 problem details, as every error of this API is sent."""

    SOMETIMES_ABSENT = ("errors",)

    type = ma.fields.String(metadata={"example": "about:blank"})
    title = ma.fields.String(metadata={"example": "Unprocessable Content"})
    status = ma.fields.Integer(metadata={"example": 422})
    detail = ma.fields.String(metadata={"example": "features: expected 10 values, got 3."})
    code = ma.fields.String(
        metadata={
            "description": "Stable machine-readable error code.",
            "example": "validation_error",
        }
    )
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Validation messages by field (dotted paths for nesting)."},
    )


class ProblemApi(Api):
    """Errors are problem details, in the responses and in the document (``init_api``).

    No catch-all ``default`` response: every status an operation can answer is listed,
    so the contract tests can refuse an undocumented one.
    """

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error):
        return render_http_exception(error)

    def _register_pagination_header(self):
        """None: collections send their page in the body (``mlapi.pagination``); the
        header's schema would be a component no operation uses (and a generated model)."""


def init_api(app: Flask) -> ProblemApi:
    """The app's Api, and what its document says beyond the views (``mlapi.document``):
    the errors every operation can meet, the credentials, the headers, and flask-smorest's
    shared responses (``UNPROCESSABLE_ENTITY`` for every body, and the ones
    ``CommonProblemsPlugin`` refers to) as ``application/problem+json``, in place of the
    lazy ones it registered."""
    api = ProblemApi(
        app,
        spec_kwargs={
            "extra_plugins": [CommonProblemsPlugin(), DocumentPlugin()],
            "servers": [{"url": "/", "description": "The server that serves this document."}],
        },
    )
    describe(api.spec, api.ma_plugin)
    api.spec.components.security_scheme(
        "apiKeyAuth",
        {
            "type": "apiKey",
            "in": "header",
            "name": API_KEY_HEADER,
            "description": "A key from POST /api/v1/auth/api-keys. Acts as "
            "its owner, except for sessions and keys (403).",
        },
    )
    for status in HTTPStatus:
        response = {"description": status.phrase, "headers": shared_response_headers(status)}
        if status >= 400:
            response["schema"] = ProblemSchema
        prepare_response(response, api.spec, PROBLEM_MIMETYPE)
        api.spec.components.response(status.name, response, lazy=True)
    return api


# ``g`` slot where ``ApiBlueprint.path_object`` leaves the lookup for ``ApiParser``.
_PATH_OBJECT = "mlapi_path_object"


def _find_path_object() -> None:
    """Run the lookup ``ApiBlueprint.path_object`` left, once: 404/403 on the object named
    in the path, after the body's checks and before anything can be a 422."""
    find = g.pop(_PATH_OBJECT, None)
    if find is not None:
        find()


def _json_payload() -> dict | None:
    """The JSON body (None without one) past the body checks of ``mlapi.http`` (400/413/
    415), then the lookup of the path's object (404/403), then the NUL check (422)."""
    payload, may_hold_nul = read_json_body()
    _find_path_object()
    if may_hold_nul:
        refuse_nul_in_strings(payload)
    return payload


def _field_names(schema: ma.Schema) -> list[str]:
    return [field.data_key or name for name, field in schema.fields.items()]


class ApiParser(FlaskParser):
    """Reads each location when an operation's arguments need it, so the body checks of
    ``mlapi.http`` (400/413/415, and 422 for NUL characters) come after routing,
    credentials, budgets and roles, as the documented order of refusals wants.

    The ``files`` location reads a whole multipart form: its file and text parts
    together, so one schema validates (and documents) an upload. Query parameters and
    form fields the schema does not know are not checked for NUL: unknown query
    parameters are ignored, unknown form fields refused by the schema."""

    def load_json(self, req, schema):
        payload = _json_payload()
        return ma.missing if payload is None else payload

    def load_querystring(self, req, schema):
        _find_path_object()
        refuse_nul(req.args, _field_names(schema))
        return super().load_querystring(req, schema)

    def load_files(self, req, schema):
        with unreadable_body_is_400():  # the form is parsed (read) here
            form, files = req.form, req.files
        refuse_nul(form, _field_names(schema))
        return self._makeproxy(CombinedMultiDict([form, files]), schema)


def _documented(decorate, func):
    """``func`` with the document ``decorate(func)`` gives, without the pass-through
    wrapper flask-smorest's documenting decorators put around it (issue 17: each costs
    every request a context lookup and a call)."""
    func._apidoc = decorate(func)._apidoc
    return func


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ApiParser()

    def alt_response(self, status_code, **kwargs):
        """flask-smorest's, documenting only (``_documented``)."""
        decorate = super().alt_response(status_code, **kwargs)
        return partial(_documented, decorate)

    @staticmethod
    def doc(**kwargs):
        """flask-smorest's, documenting only (``_documented``)."""
        return partial(_documented, Blueprint.doc(**kwargs))

    def upload(self, schema, *, limit_setting: str):
        """Take a ``multipart/form-data`` body validated by ``schema`` (unknown parts are
        refused), of at most ``app.config[limit_setting]`` bytes (``admit_upload``, just
        before the form is read); Werkzeug spools file parts to a temporary file."""

        def decorator(func):
            parsed = self.arguments(
                schema, location="files", unknown=ma.RAISE, content_type="multipart/form-data"
            )(func)

            @wraps(parsed)
            def admitted(*args, **kwargs):
                admit_upload(limit_setting)
                return parsed(*args, **kwargs)

            return admitted

        return decorator

    def json_body(self, schema, load, *, example=None):
        """``arguments(schema, example=example)`` for a JSON body, checked by ``load``, a
        plain function giving what ``schema.load`` gives (the same 422s), instead of
        webargs and marshmallow: for the hottest operations (issue 17). The document is
        ``arguments``'s own; the body is read as ``ApiParser.load_json`` reads it (no body:
        ``load({})``)."""

        def decorator(view):
            documented = self.arguments(schema, example=example)(view)

            @wraps(view)
            def loaded(*args, **kwargs):
                payload = _json_payload()
                return view(*args, load({} if payload is None else payload), **kwargs)

            loaded._apidoc = documented._apidoc
            return loaded

        return decorator

    def json_response(self, status: int, schema, dump):
        """``response(status, schema)`` whose body is ``dump(result)``, a plain function
        giving what ``schema.dump`` gives for the view's result, instead of marshmallow.
        The document is ``response``'s own."""

        def decorator(view):
            documented = self.response(status, schema)(view)

            @wraps(view)
            def dumped(*args, **kwargs):
                return json_answer(dump(view(*args, **kwargs)), status)

            dumped._apidoc = documented._apidoc
            return dumped

        return decorator

    def path_object(self, find):
        """Look up the object named in the path, ``find(**path_arguments)`` (404 or 403),
        after the JSON body has passed its checks (400/413/415) and before the schema
        validates the body or the query (422), as docs/api.md orders refusals. Goes above
        ``arguments`` (a JSON body or a query); the view may look the object up again (the
        session's identity map has it)."""

        def decorator(view):
            @wraps(view)
            def found_first(*args, **kwargs):
                setattr(g, _PATH_OBJECT, partial(find, **kwargs))
                return view(*args, **kwargs)

            return found_first

        return decorator

    def problems(self, *statuses: int):
        """Document the error statuses a view may answer with."""

        def decorator(func):
            for status in statuses:
                func = self.alt_response(
                    status,
                    schema=ProblemSchema,
                    content_type="application/problem+json",
                    description=TITLES[status],
                )(func)
            return func

        return decorator

    def authenticated(self, *, budget: str, refresh: bool = False, session_only: bool = False):
        """Require a valid credential of an active user (``mlapi.auth.credentials``) and
        document it: a bearer token, or an API key unless ``refresh`` or ``session_only``
        (then a key gets 403). Between the two, spend one request of the caller's
        rate-limit ``budget`` (``mlapi.limits.CALLER_BUDGETS``): after authentication, so a
        request that fails it (401) spends nobody's budget, and before the 403, as
        docs/api.md orders refusals."""

        def decorator(view):
            @wraps(view)
            def guarded(*args, **kwargs):
                authenticate(refresh=refresh)
                spend(budget)
                if refresh or session_only:
                    refuse_api_key()
                return view(*args, **kwargs)

            declare_budget(guarded, budget, CALLER_BUDGETS)
            schemes = [BEARER_AUTH, API_KEY_AUTH]
            statuses = [401]
            if refresh or session_only:
                schemes = [REFRESH_BEARER_AUTH if refresh else BEARER_AUTH]
                statuses = [401, 403]
            return self.doc(security=schemes)(self.problems(*statuses)(guarded))

        return decorator

    def anonymous(self, *, budget: str):
        """An operation open to anyone, which spends one request of the client address's
        rate-limit ``budget`` (``mlapi.limits.ADDRESS_BUDGETS``) before its body is read."""

        def decorator(view):
            @wraps(view)
            def counted(*args, **kwargs):
                spend(budget)
                return view(*args, **kwargs)

            declare_budget(counted, budget, ADDRESS_BUDGETS)
            return counted

        return decorator
