"""The shortcut of ``mlapi.http.read_json_body``: a body ``_plain`` passes skips the walks
of the parsed body (``_unusable``, ``_strings_with_nul``), so it must never pass a body
either walk would find something in."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlapi.http import MAX_JSON_DEPTH, _plain, _strings_with_nul, _unusable
from tests.unit.helpers import assert_problem

LOGIN = "/api/v1/auth/login"

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)
_nested = st.integers(min_value=1, max_value=MAX_JSON_DEPTH + 3).map(
    lambda depth: {"a": json.loads("[" * depth + "]" * depth)}
)


@given(payload=st.dictionaries(st.text(), _values, max_size=5) | _nested, ascii_only=st.booleans())
def test_a_plain_body_holds_nothing_the_walks_look_for(payload, ascii_only):
    body = json.dumps(payload, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")

    if _plain(body):
        assert _unusable(json.loads(body), MAX_JSON_DEPTH) is None
        assert _strings_with_nul(json.loads(body)) == []


@pytest.mark.parametrize(
    ("body", "plain"),
    [
        (b'{"features": [0.5, 1, -2e3]}', True),
        (b'{"a": "caf\\u00e9"}', False),  # any \u escape: looked at
        ('{"a": "café"}'.encode(), False),  # not ASCII
        ('{"a": 1}'.encode("utf-16"), False),  # NUL bytes: not read as UTF-8
        (b'{"a": ' + b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1) + b"}", True),
        (b'{"a": "' + b"[" * MAX_JSON_DEPTH + b'"}', False),  # brackets in a string count too
    ],
)
def test_what_is_plain(body, plain):
    assert _plain(body) is plain


def test_a_body_deep_as_allowed_is_read_and_validated(client):
    data = '{"username": "x", "password": "y", "a": ' + "[" * 63 + "]" * 63 + "}"

    response = client.post(LOGIN, data=data, content_type="application/json")

    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert errors == {"a": ["Unknown field."]}


def test_an_unpaired_surrogate_in_raw_utf8_is_still_400(client):
    data = b'{"username": "\xed\xa0\x80", "password": "y"}'

    response = client.post(LOGIN, data=data, content_type="application/json")

    assert assert_problem(response, 400, "malformed_json")["detail"] == (
        "The request body is not valid JSON text: a string has an unpaired surrogate escape."
    )


def test_a_nul_in_a_utf16_body_is_still_422(client):
    data = '{"username": "a\\u0000", "password": "y"}'.encode("utf-16")

    response = client.post(LOGIN, data=data, content_type="application/json")

    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert errors == {"username": ["Text may not contain NUL characters."]}
