"""A test client that holds every response to the OpenAPI document.

Installed on every test app (``tests/fixtures.py``), so each response that a unit test or
a scenario receives is checked once, here: its status must be documented for its path and
method, its content type must be one the document lists for that status, and its JSON body
must match the documented schema. An endpoint added later is covered with no change here.
"""

import json
import re
from functools import cache

from flask.testing import FlaskClient
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from werkzeug.exceptions import HTTPException

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
            raise ContractViolation(f"{where}: status not documented "
                                    f"(documented: {sorted(operation['responses'])})")
        content = self._resolve(documented).get("content")
        body = response.get_data()
        if not content:
            if body:
                raise ContractViolation(f"{where}: documented without a body, sent one")
            return
        if response.mimetype not in content:
            raise ContractViolation(f"{where}: content type {response.mimetype} not in "
                                    f"{sorted(content)}")
        schema = content[response.mimetype].get("schema")
        if schema is not None:
            self._validate(where, schema, json.loads(body))

    def _validate(self, where: str, schema: dict, instance) -> None:
        validator = OAS30Validator(schema, registry=self._registry,
                                   _resolver=self._resolver)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        if errors:
            details = "; ".join(f"{'/'.join(map(str, e.path)) or '(body)'}: {e.message}"
                                for e in errors[:5])
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


class ContractClient(FlaskClient):
    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        try:
            rule, _ = self.application.url_map.bind("localhost").match(
                request.path, method=request.method, return_rule=True)
        except HTTPException:
            return response  # unknown path or method: nothing documented to compare with
        contract_of(self.application).check(openapi_path(rule.rule), request.method, response)
        return response
