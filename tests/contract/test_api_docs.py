"""docs/api.md, the contract in words, kept in step with the code.

Every operation docs/api.md lists (a table row starting with `` `METHOD /path` ``) exists in
the app's OpenAPI document and the other way round, with the statuses the document gives
it; and its error table holds exactly the (status, code) pairs the code can answer.
"""

import ast
import re
from pathlib import Path

import pytest

import mlapi
from mlapi.api import CommonProblemsPlugin
from mlapi.errors import HTTP_STATUS_CODES, ApiError

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
PACKAGE = Path(mlapi.__file__).parent
METHODS = ("get", "post", "put", "patch", "delete")

# | `POST /api/v1/predict` | who | what it does | 200, 401, 422 |
OPERATION_ROW = re.compile(
    r"^\|\s*`(GET|POST|PUT|PATCH|DELETE) (/\S*)`\s*\|(.*)\|\s*$", re.MULTILINE
)
# | 401 | `token_expired` | meaning |
ERROR_ROW = re.compile(r"^\|\s*(\d{3})\s*\|\s*`([a-z_]+)`\s*\|", re.MULTILINE)
STATUS = re.compile(r"\b[1-5]\d\d\b")


def documented_operations(text: str) -> dict[tuple[str, str], set[str]]:
    """(method, path) -> the statuses in the row's last cell."""
    rows: dict[tuple[str, str], set[str]] = {}
    for method, path, cells in OPERATION_ROW.findall(text):
        key = (method.lower(), path)
        assert key not in rows, f"{method} {path} is listed twice in docs/api.md"
        rows[key] = set(STATUS.findall(cells.split("|")[-1]))
    return rows


def common_statuses(method: str, path: str) -> set[str]:
    """The statuses docs/api.md states once for all operations: those the document adds to
    every operation (``CommonProblemsPlugin``), not listed row by row."""
    operations = {method: {}}
    CommonProblemsPlugin().operation_helper(path=path, operations=operations)
    return set(operations[method]["responses"])


def error_codes_in_code() -> set[tuple[str, str]]:
    """Every (status, code) the app can answer: the error catalogue, the codes of the HTTP
    errors Werkzeug raises, and problems built with a literal code anywhere in the package
    (``problem(401, "token_expired", ...)``)."""
    pairs = {(str(status), code) for status, code in HTTP_STATUS_CODES.items()}
    pending = [ApiError]
    while pending:
        error = pending.pop()
        pairs.add((str(error.status), error.code))
        pending.extend(error.__subclasses__())
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "problem"
                and len(node.args) >= 2
                and all(isinstance(arg, ast.Constant) for arg in node.args[:2])
            ):
                pairs.add((str(node.args[0].value), node.args[1].value))
    return pairs


@pytest.fixture(scope="module")
def api_doc() -> str:
    return API_DOC.read_text(encoding="utf-8")


@pytest.fixture
def openapi_operations(client) -> dict[tuple[str, str], set[str]]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return {
        (method, path): set(operation["responses"])
        for path, item in response.get_json()["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_every_operation_in_docs_api_md_exists_in_the_openapi_document(api_doc, openapi_operations):
    documented = documented_operations(api_doc)
    assert documented, "docs/api.md lists no `METHOD /path` rows"
    missing = sorted(f"{m.upper()} {p}" for m, p in set(documented) - set(openapi_operations))
    assert not missing, f"docs/api.md lists operations the API does not have: {missing}"


def test_every_operation_of_the_openapi_document_is_in_docs_api_md(api_doc, openapi_operations):
    documented = documented_operations(api_doc)
    missing = sorted(f"{m.upper()} {p}" for m, p in set(openapi_operations) - set(documented))
    assert not missing, f"operations missing from docs/api.md: {missing}"


def test_each_operation_in_docs_api_md_lists_the_statuses_the_document_gives_it(
    api_doc, openapi_operations
):
    wrong = {}
    for (method, path), listed in documented_operations(api_doc).items():
        if (method, path) not in openapi_operations:
            continue  # reported by the test above
        expected = openapi_operations[(method, path)] - common_statuses(method, path)
        if listed != expected:
            wrong[f"{method.upper()} {path}"] = {
                "docs/api.md": sorted(listed),
                "OpenAPI": sorted(expected),
            }
    assert not wrong, f"statuses out of step: {wrong}"


def test_the_error_table_holds_every_code_the_api_answers_and_no_other(api_doc):
    table = {(status, code) for status, code in ERROR_ROW.findall(api_doc)}
    in_code = error_codes_in_code()
    assert not in_code - table, f"missing from docs/api.md's error table: {sorted(in_code - table)}"
    assert not table - in_code, f"in docs/api.md but never answered: {sorted(table - in_code)}"
