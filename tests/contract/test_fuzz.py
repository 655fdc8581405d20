"""Property-based fuzzing of every operation of the OpenAPI document (schemathesis).

schemathesis reads ``/openapi.json`` from the app in-process (WSGI) and, for each
operation, sends the document's examples, its coverage cases (boundary and invalid values,
missing or garbage credentials) and ``MLAPI_FUZZ_EXAMPLES`` generated cases (default 25;
``tox -e contract`` sends 100). Every response must:

- not be a 5xx (``not_a_server_error``: bad input never gives a 500);
- have a status the document lists for the operation (``status_code_conformance``);
- have a content type the document lists for that status (``content_type_conformance``);
- match the documented body schema (``response_schema_conformance``).

Callers are real: a user signs in once per operation and every case that needs
credentials carries that access token (the refresh token for ``/auth/refresh``), except the cases
schemathesis builds to test missing or invalid credentials, which keep theirs. Each logout
case signs in afresh, so a logout never revokes the token the other cases use; each
logout-all case too, so each one ends sign-ins that were valid.

Reproducible: generation is derandomized (the same cases on every run, whatever
pytest-randomly's seed) and Hypothesis keeps no example database. Its other files (caches
of Unicode data and of constants found in the source) go to the system's temporary
directory unless ``HYPOTHESIS_STORAGE_DIRECTORY`` says where, so nothing is written into
the checkout.
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from mlapi import create_app
from tests.support import users  # TestUser imported by name would be collected as a test

if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "mlapi-hypothesis")

EXAMPLES = int(os.environ.get("MLAPI_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

REFRESH = ("POST", "/api/v1/auth/refresh")
LOGOUT = ("POST", "/api/v1/auth/logout")
LOGOUT_ALL = ("POST", "/api/v1/auth/logout-all")

pytestmark = pytest.mark.fuzz


def _document_app():
    """An app built only to serve its OpenAPI document while the module is collected: the
    same code and testing settings as the ``app`` fixture, with no database opened (no
    bootstrap, in-memory SQLite). The cases themselves go to each test's own ``app``.

    (``schemathesis.pytest.from_fixture`` would load the document from the ``app`` fixture
    instead, but schemathesis 4.32.5's lazy schemas set ``Node._nodeid``, which pytest 9.2
    no longer has: every such test fails with an AttributeError before sending a request.)
    """
    with tempfile.TemporaryDirectory() as instance:
        return create_app(
            {
                "ENV": "testing",
                "BOOTSTRAP": False,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "INSTANCE_PATH": instance,
            }
        )


schema = schemathesis.openapi.from_wsgi("/openapi.json", _document_app())


@dataclass
class Caller:
    user: users.TestUser
    tokens: users.Tokens


@pytest.fixture
def caller(role, make_user, sign_in) -> Caller:
    """A real account of ``role``, signed in once for all the cases of an operation."""
    user = make_user(role=role)
    return Caller(user, sign_in(user))


def _needs_credentials(case) -> bool:
    return bool(case.operation.definition.raw.get("security"))


def _credentials(case, caller: Caller, sign_in) -> dict[str, str]:
    """The Authorization header this case is sent with (none for public operations and
    for the cases that test missing or invalid credentials, which keep their own)."""
    if not _needs_credentials(case) or case.operation.schema.is_security_param_negated(case):
        return {}
    operation = (case.method.upper(), case.path)
    if operation == REFRESH:
        token = caller.tokens.refresh
    elif operation in (LOGOUT, LOGOUT_ALL):
        token = sign_in(caller.user).access  # its own sign-in, valid when the case is sent
    else:
        token = caller.tokens.access
    return {"Authorization": f"Bearer {token}"}


# ``role`` is whose credentials the cases carry. It also gives each operation's test a
# node id of its own: schemathesis 4.32.5 builds its items in a way pytest 9.2 names after
# the function alone, so without a parametrization all twelve would share one id.
@pytest.mark.parametrize("role", ["user"])
# One app (and database) per operation, shared by that operation's cases on purpose: the
# cases of a fuzz run meet the state earlier cases left behind, as a real client would.
# No deadline: an app's first prediction loads the model, slower than Hypothesis' 200 ms.
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@schema.parametrize()
def test_every_operation_answers_as_documented(case, app, caller, sign_in):
    case.call_and_validate(app=app, headers=_credentials(case, caller, sign_in), checks=CHECKS)
