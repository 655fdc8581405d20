"""A test client that holds every response to the OpenAPI document.

Installed on every test app (``tests/support/apps.py``), so each response that a unit test or
a scenario receives is checked once, here: its status must be documented for its path and
method, its content type must be one the document lists for that status, its body (JSON, or
text) must match the documented schema, and each header documented as always sent
(``required``) must be there. An endpoint added later is covered with no change here.

It also keeps the session's secrets out of every answer (issue 9): each password a test
sends (any request field whose name contains "password") and each secret shown once (the
``key`` of a new API key, the ``secret`` of a new webhook) joins ``session_secrets``, and
every later response body and header of the whole session, and every log record
(``SecretLogHandler``, installed by tests/support/log_scan.py), is searched for all of them.
"""

import json
import logging
import re
from functools import cache
from itertools import repeat

from flask.testing import FlaskClient
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from werkzeug.exceptions import HTTPException

from mlapi.ops.logs import flush_logs

_FLASK_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_ROOT = "urn:mlapi:openapi"


class ContractViolation(AssertionError):
    """A response the OpenAPI document does not describe."""


def openapi_path(rule: str) -> str:
    """``/predictions/<int(min=1):prediction_id>`` -> ``/predictions/{prediction_id}``."""
    return _FLASK_PARAM.sub(r"{\1}", rule)


class Contract:
    def __init__(self, document: dict):
        self.document = document
        registry = Registry().with_resource(_ROOT, Resource.opaque(document))
        self._registry = registry
        self._resolver = registry.resolver(base_uri=_ROOT)

    def _resolve(self, node: dict) -> dict:
        while "$ref" in node:
            node = self._resolver.lookup(_ROOT + node["$ref"]).contents
        return node

    def operation(self, path: str, method: str) -> dict | None:
        return self.document["paths"].get(path, {}).get(method.lower())

    def check(self, path: str, method: str, response) -> None:
        operation = self.operation(path, method)
        if operation is None:
            return  # not an operation of the API (HEAD, OPTIONS, a test-only route)
        where = f"{method} {path} -> {response.status_code}"
        documented = operation["responses"].get(str(response.status_code))
        if documented is None:
            raise ContractViolation(
                f"{where}: status not documented (documented: {sorted(operation['responses'])})"
            )
        documented = self._resolve(documented)
        self._check_headers(where, documented, response)
        content = documented.get("content")
        body = response.get_data()
        if not content:
            if body:
                raise ContractViolation(f"{where}: documented without a body, sent one")
            return
        if response.mimetype not in content:
            raise ContractViolation(
                f"{where}: content type {response.mimetype} not in {sorted(content)}"
            )
        schema = content[response.mimetype].get("schema")
        if schema is not None:
            # JSON and ``+json`` only: a JSON Lines file (application/x-ndjson) is text.
            text = response.get_data(as_text=True)
            self._validate(where, schema, json.loads(text) if response.is_json else text)

    def _check_headers(self, where: str, documented: dict, response) -> None:
        """Every header the document says is always sent (``required``) is there."""
        for name, header in documented.get("headers", {}).items():
            if self._resolve(header).get("required") and name not in response.headers:
                raise ContractViolation(
                    f"{where}: header {name} is documented as always sent, and is missing"
                )

    def _validate(self, where: str, schema: dict, instance) -> None:
        validator = OAS30Validator(schema, registry=self._registry, _resolver=self._resolver)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        if errors:
            details = "; ".join(
                f"{'/'.join(map(str, e.path)) or '(body)'}: {e.message}" for e in errors[:5]
            )
            raise ContractViolation(f"{where}: body does not match the document: {details}")


@cache
def _contract_for(document_json: str) -> Contract:
    return Contract(json.loads(document_json))


def contract_of(app) -> Contract:
    """The app's document; parsed once per distinct document in the session."""
    if "tests.contract" not in app.extensions:
        document = json.dumps(app.extensions["mlapi.api"].spec.to_dict(), sort_keys=True)
        app.extensions["tests.contract"] = _contract_for(document)
    return app.extensions["tests.contract"]


class SecretLeak(AssertionError):
    """A password or once-shown secret found in a response or a log line."""


class SessionSecrets:
    """The secrets the session has used, and where they must never appear.

    Only values of at least ``MIN_LENGTH`` characters count (shorter ones would match by
    chance), and a value a test also sent in an ordinary field (a username, a name) is
    not secret: the API may rightly echo it. JSON escapes are searched for too, so a
    non-ASCII password echoed inside a JSON string is still found."""

    MIN_LENGTH = 8

    def __init__(self):
        self._secrets: dict[str, tuple[str, ...]] = {}  # secret -> its searchable forms
        self._public: set[str] = set()

    def add(self, value) -> None:
        if (
            isinstance(value, str)
            and len(value) >= self.MIN_LENGTH
            and value not in self._secrets
            and not any(value in public for public in self._public)
        ):
            self._secrets[value] = tuple({value, json.dumps(value)[1:-1]})

    def declassify(self, value) -> None:
        if isinstance(value, str) and len(value) >= self.MIN_LENGTH:
            self._public.add(value)
            for secret in [secret for secret in self._secrets if secret in value]:
                del self._secrets[secret]

    def found_in(self, text: str) -> list[str]:
        return [
            secret for secret, forms in self._secrets.items() if any(form in text for form in forms)
        ]


session_secrets = SessionSecrets()
# Fields of a 201 answer that show a secret once; any later appearance is a leak.
_SHOWN_ONCE = ("key", "secret")


def masked(secret: str) -> str:
    return f"{secret[:3]}… ({len(secret)} characters)"


_MAY_HOLD_A_SECRET = (str, dict, list, tuple)


def _note_request_fields(body) -> None:
    """Each string of a request body: a secret under a "password" field, else public.

    Numbers, booleans and null cannot be secrets and are passed over where they are met, so
    a body of a million numbers costs one cheap pass, not a call per item. The
    order strings are met in does not matter: a secret is kept unless a public string holds
    it, whichever came first."""
    pending = [(body, False)]
    while pending:
        value, secret = pending.pop()
        if isinstance(value, dict):
            pending.extend(
                (item, secret or "password" in str(key).lower())
                for key, item in value.items()
                if isinstance(item, _MAY_HOLD_A_SECRET)
            )
        elif isinstance(value, list | tuple):
            walked = [item for item in value if isinstance(item, _MAY_HOLD_A_SECRET)]
            pending.extend(zip(walked, repeat(secret)))
        elif secret:
            session_secrets.add(value)
        else:
            session_secrets.declassify(value)


# A body larger than this is refused by the server unread (413), so nothing in it can come
# back in an answer; not parsing it keeps the client cheap on the tests' huge bodies.
_LARGEST_BODY_SCANNED = 1 << 20


def _request_body(kwargs):
    if "json" in kwargs:
        return kwargs["json"]
    data = kwargs.get("data")
    if isinstance(data, str | bytes) and len(data) <= _LARGEST_BODY_SCANNED:
        try:
            return json.loads(data)
        except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
            return None
    return data if isinstance(data, dict) else None


def _scan_response(response, where: str) -> None:
    leaks = session_secrets.found_in(str(response.headers))
    if not response.direct_passthrough:  # a file from disk cannot hold a test's secret
        leaks += session_secrets.found_in(response.get_data(as_text=True))
    if leaks:
        raise SecretLeak(
            f"{where}: the response holds a secret the test sent: {', '.join(map(masked, leaks))}"
        )
    if response.status_code == 201 and response.is_json:
        body = response.get_json(silent=True)
        for field in _SHOWN_ONCE:
            if isinstance(body, dict):
                session_secrets.add(body.get(field))


class SecretLogHandler(logging.Handler):
    """Remembers every log record that holds a session secret, in its message, its
    ``extra`` fields or its exception text; the client and tests/support/log_scan.py fail the
    test that caused it."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
        "message",
        "asctime",
        "taskName",
    }

    def __init__(self):
        super().__init__(logging.NOTSET)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = (
            [str(record.msg), *map(str, record.args or ())]
            if isinstance(record.args, tuple)
            else [str(record.msg), str(record.args)]
        )
        parts += [
            f"{key}={value}" for key, value in vars(record).items() if key not in self._STANDARD
        ]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        leaks = session_secrets.found_in("\n".join(parts))
        if leaks:
            self.leaks.append(
                f"log record of {record.name!r} ({record.getMessage()[:80]!r}) "
                f"holds {', '.join(map(masked, leaks))}"
            )

    def take(self) -> list[str]:
        leaks, self.leaks = self.leaks, []
        return leaks


secret_log_handler = SecretLogHandler()


class ContractClient(FlaskClient):
    def open(self, *args, **kwargs):
        _note_request_fields(_request_body(kwargs))
        response = super().open(*args, **kwargs)
        flush_logs()  # the request's lines are on stderr before the test reads it
        request = response.request
        where = f"{request.method} {request.path} -> {response.status_code}"
        _scan_response(response, where)
        leaks = secret_log_handler.take()
        if leaks:
            raise SecretLeak(f"{where}: {'; '.join(leaks)}")
        try:
            rule, _ = self.application.url_map.bind("localhost").match(
                request.path, method=request.method, return_rule=True
            )
        except HTTPException:
            return response  # unknown path or method: nothing documented to compare with
        contract_of(self.application).check(openapi_path(rule.rule), request.method, response)
        return response
