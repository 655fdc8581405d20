"""Hostile and careless bodies get a 4xx problem naming what is wrong, never a 500."""

import io

import pytest

from tests.unit.helpers import ROW, assert_problem

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
PREDICT = "/api/v1/predict"
ONE_MB = 1_000_000
ONE_MIB = 1024 * 1024


def features_json(*values: str) -> str:
    """A predict body with the first values written as raw JSON, padded to 10 features."""
    return f'{{"features": [{", ".join([*values, *map(str, ROW[len(values) :])])}]}}'


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", '{"username": "a", "password": "b"}'),
        ("application/x-www-form-urlencoded", "username=a&password=b"),
        ("multipart/form-data; boundary=x", "--x\r\n\r\n--x--"),
        ("application/xml", "<login/>"),
        (None, '{"username": "a", "password": "b"}'),
    ],
)
def test_body_that_is_not_json_is_415(client, content_type, data):
    response = client.post(LOGIN, data=data, content_type=content_type)

    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("data", ["[]", '[{"username": "a"}]', '"login"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_400(client, data):
    response = client.post(LOGIN, data=data, content_type="application/json")

    assert_problem(response, 400, "malformed_json")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (LOGIN, "username"),
        (LOGIN, "password"),
        (REGISTER, "username"),
        (REGISTER, "email"),
        (REGISTER, "password"),
        (REGISTER, "full_name"),
    ],
)
def test_one_megabyte_string_field_is_refused_by_length(client, path, field):
    body = {"username": "alice", "email": "alice@example.com", "password": "s3cret-password"}
    if path == LOGIN:
        body.pop("email")
    body[field] = "x" * ONE_MB

    response = client.post(path, json=body)

    assert field in assert_problem(response, 422, "validation_error")["errors"]


def test_string_field_over_one_mebibyte_is_too_large(client):
    response = client.post(LOGIN, json={"username": "x" * ONE_MIB, "password": "p"})

    assert_problem(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    "username",
    [
        "ålice",
        "алиса",
        "アリス",
        "\uff41\uff4c\uff49\uff43\uff45",
        "alice\u200b",
        "ali\u0301ce",
        "al🙂ce",
        "alice\n",
        "alice\t",
        "ALİCE",
    ],
    ids=[
        "a-ring",
        "cyrillic",
        "katakana",
        "fullwidth",
        "zero-width-space",
        "combining-accent",
        "emoji",
        "trailing-newline",
        "tab",
        "dotted-capital-i",
    ],
)
def test_usernames_outside_ascii_letters_digits_and_dot_dash_underscore_are_refused(
    client, username
):
    response = client.post(
        REGISTER,
        json={"username": username, "email": "a@example.com", "password": "s3cret-password"},
    )

    assert "username" in assert_problem(response, 422, "validation_error")["errors"]


@pytest.mark.parametrize(
    "features",
    ["1,2,3", "", 42, {"age": 0.1}, True],
    ids=["csv-string", "empty-string", "number", "object", "boolean"],
)
def test_features_that_are_not_a_list_are_refused(client, auth_headers, features):
    response = client.post(PREDICT, json={"features": features}, headers=auth_headers)

    assert "features" in assert_problem(response, 422, "validation_error")["errors"]


@pytest.mark.parametrize(
    "features",
    [[ROW], [[v] for v in ROW], [*ROW[:9], [ROW[9]]]],
    ids=["wrapped-row", "every-value-wrapped", "last-value-wrapped"],
)
def test_nested_lists_of_features_are_refused(client, auth_headers, features):
    response = client.post(PREDICT, json={"features": features}, headers=auth_headers)

    assert_problem(response, 422, "validation_error")


@pytest.mark.parametrize(
    "values", [["true"], ["false"], ["0.1", "true"]], ids=["true", "false", "among-numbers"]
)
def test_booleans_are_not_numbers(client, auth_headers, values):
    response = client.post(
        PREDICT, data=features_json(*values), content_type="application/json", headers=auth_headers
    )

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == {f"features.{len(values) - 1}": ["Not a number."]}


@pytest.mark.parametrize("literal", [str(10**400), "-" + str(10**400), "1e400", "-1e400"])
def test_numbers_too_large_for_a_double_are_422_not_500(client, auth_headers, literal):
    response = client.post(
        PREDICT, data=features_json(literal), content_type="application/json", headers=auth_headers
    )

    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]) == ["features.0"]


def test_integer_literal_too_long_to_parse_is_malformed_json(client, auth_headers):
    response = client.post(
        PREDICT,
        data=features_json("1" + "0" * 5000),
        content_type="application/json",
        headers=auth_headers,
    )

    assert_problem(response, 400, "malformed_json")


@pytest.mark.parametrize(
    ("path", "body", "unknown"),
    [
        (
            REGISTER,
            {
                "username": "alice",
                "email": "a@example.com",
                "password": "s3cret-password",
                "role": "admin",
                "is_active": False,
            },
            {"role", "is_active"},
        ),
        (
            LOGIN,
            {"username": "alice", "password": "s3cret-password", "remember_me": True},
            {"remember_me"},
        ),
        (PREDICT, {"features": ROW, "model_id": 1}, {"model_id"}),
        (PREDICT, {"features": ROW, "version": 2, "sha256": "0" * 64}, {"version", "sha256"}),
        ("/api/v1/batch-predict", {"samples": [ROW], "owner": 1}, {"owner"}),
    ],
)
def test_unknown_fields_are_refused_naming_them(client, auth_headers, path, body, unknown):
    response = client.post(path, json=body, headers=auth_headers)

    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert unknown <= set(errors)
    assert all(errors[field] == ["Unknown field."] for field in unknown)


@pytest.mark.parametrize(
    ("depth", "opener", "closer"),
    [
        (65, "[", "]"),
        (500, '{"a": ', "}"),
        (980, "[", "]"),
        (980, '{"a": ', "}"),
        (100_000, "[", "]"),
    ],
)
def test_deeply_nested_json_is_refused_as_malformed(client, auth_headers, depth, opener, closer):
    nested = opener * depth + "1" + closer * depth

    response = client.post(
        PREDICT,
        data=f'{{"features": {nested}}}',
        content_type="application/json",
        headers=auth_headers,
    )

    assert_problem(response, 400, "malformed_json")


def test_shallow_nesting_is_judged_on_its_content(client, auth_headers):
    nested = "[" * 62 + "1" + "]" * 62  # 64 levels with the body and the features list

    response = client.post(
        PREDICT,
        data=f'{{"features": [{nested}]}}',
        content_type="application/json",
        headers=auth_headers,
    )

    assert_problem(response, 422, "validation_error")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            REGISTER,
            '{"username": "alice", "email": "a@example.com", "password": "s3cret-pa\\ud800"}',
        ),
        (
            REGISTER,
            '{"username": "alice", "email": "a@example.com", "password": "s3cret-password",'
            ' "full_name": "Alice \\udc00"}',
        ),
        (LOGIN, '{"username": "\\ud800", "password": "s3cret-password"}'),
        (LOGIN, '{"username": "alice", "password": "\\udfff"}'),
        (LOGIN, '{"username": "alice", "password": "x", "\\ud83d": 1}'),
        (PREDICT, '{"features": [1, 2], "comment": ["\\ude42\\ud83d"]}'),
    ],
    ids=[
        "password",
        "full-name",
        "login-username",
        "login-password",
        "field-name",
        "pair-in-wrong-order",
    ],
)
def test_string_with_an_unpaired_surrogate_escape_is_malformed_json_not_500(
    client, auth_headers, path, body
):
    """``"\\ud800"`` is allowed by JSON's grammar but is not text: encoding it for argon2 or
    the database failed with a 500 (found while fuzzing with schemathesis, whose generated
    strings never hold surrogates)."""
    response = client.post(path, data=body, content_type="application/json", headers=auth_headers)

    assert "surrogate" in assert_problem(response, 400, "malformed_json")["detail"]


def test_surrogate_pair_escape_is_ordinary_text(client):
    response = client.post(
        REGISTER,
        data='{"username": "alice", "email": "a@example.com", '
        '"password": "s3cret-password", "full_name": "Alice \\ud83d\\ude42"}',
        content_type="application/json",
    )

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["full_name"] == "Alice \U0001f642"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            REGISTER,
            '{"username": "al\\u0000ice", "email": "a@example.com", "password": "s3cret-password"}',
            "username",
        ),
        (
            REGISTER,
            '{"username": "alice", "email": "a@example.com", "password": "s3cret-password",'
            ' "full_name": "Alice\\u0000"}',
            "full_name",
        ),
        (LOGIN, '{"username": "alice\\u0000", "password": "s3cret-password"}', "username"),
        (LOGIN, '{"username": "alice", "password": "x", "\\u0000": 1}', "body"),
    ],
    ids=["username", "full-name", "login-username", "field-name"],
)
def test_nul_character_in_a_string_is_refused_before_it_reaches_the_database(
    client, path, body, field
):
    """PostgreSQL rejects NUL in text (a 500 there); refused here on every database, as a
    validation error on the field (on the body for a field name)."""
    response = client.post(path, data=body, content_type="application/json")

    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert errors[field] == ["Text may not contain NUL characters."]


@pytest.mark.parametrize("query", ["name=%00x", "name=x%00"])
def test_nul_character_in_a_query_parameter_is_refused_not_500(client, auth_headers, query):
    """PostgreSQL cannot compare text holding NUL: without the check this is a 500 there."""
    body = assert_problem(
        client.get(f"/api/v1/models?{query}", headers=auth_headers), 422, "validation_error"
    )
    assert body["errors"] == {"name": ["Text may not contain NUL characters."]}


def test_nul_character_in_an_unknown_query_parameter_is_ignored(client, auth_headers):
    """Unknown parameters reach no query: ignored, NUL or not."""
    response = client.get("/api/v1/models?na%00me=x&other=%00", headers=auth_headers)

    assert response.status_code == 200


def test_nul_character_in_an_upload_form_field_is_refused(client, auth_headers):
    response = client.post(
        "/api/v1/models",
        headers=auth_headers,
        data={"name": "churn\x00", "file": (io.BytesIO(b"x"), "m.skops")},
        content_type="multipart/form-data",
    )
    assert_problem(response, 422, "validation_error")
