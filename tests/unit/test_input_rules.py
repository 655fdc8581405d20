"""Input rules pinned to the letter: which bodies the request checks refuse, with which
status, code and detail (mlapi/http.py), and how named features are told apart
(mlapi/predictions/inputs.py, schemas.py).

Written to kill mutants that survived ``tox -e mutation``.
"""

import io
import json
from pathlib import Path

import marshmallow as ma
import pytest
import werkzeug.wrappers
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import ValidationError

from mlapi.http import DATA_CSP, MULTIPART_OVERHEAD
from mlapi.predictions.schemas import MAX_FEATURES, FeatureValues, feature_list
from tests.model_records import add_model
from tests.unit.helpers import ROW, assert_problem

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"
MODELS = "/api/v1/models"
CONTRACT = Path(__file__).parents[2] / "contract" / "openapi.v1.json"


# --- the body checks every request passes (mlapi/http.py) ---


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        ("[1]", "The request body must be a JSON object, not a list."),
        ('"x"', "The request body must be a JSON object, not a str."),
        ("{", "The request body is not valid JSON."),
        (
            '{"a": "\\ud800"}',
            "The request body is not valid JSON text: a string has an unpaired surrogate escape.",
        ),
        (
            '{"a": ' + "[" * 64 + "]" * 64 + "}",
            "The request body is nested more than 64 levels deep.",
        ),
    ],
)
def test_an_unusable_json_body_is_400_saying_why(client, data, detail):
    response = client.post(LOGIN, data=data, content_type="application/json")

    assert assert_problem(response, 400, "malformed_json")["detail"] == detail


def test_a_string_under_a_key_is_checked_as_deep_as_the_body_goes(client):
    data = json.dumps({"a": [{"b": [[{"c": "ok"}, "fine", "bad\x00"]]}]})

    response = client.post(LOGIN, data=data, content_type="application/json")

    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert errors == {"a.0.b.0.2": ["Text may not contain NUL characters."]}


@pytest.mark.parametrize(
    ("method", "path"), [("put", "/api/v1/admin/default-model"), ("patch", f"{MODELS}/1")]
)
def test_put_and_patch_bodies_must_be_json_too(client, admin_headers, method, path):
    response = getattr(client, method)(
        path, data="name=x", content_type="text/plain", headers=admin_headers
    )

    assert_problem(response, 415, "unsupported_media_type")


def test_a_streamed_body_that_is_not_json_is_415(client):
    response = client.post(
        LOGIN,
        input_stream=io.BytesIO(b"username=a"),
        environ_overrides={"wsgi.input_terminated": True},
        headers={"Transfer-Encoding": "Chunked", "Content-Type": "text/plain"},
    )

    assert_problem(response, 415, "unsupported_media_type")


def test_a_get_with_a_body_is_not_judged_on_it(client, auth_headers):
    response = client.get(ME, data="not json", content_type="text/plain", headers=auth_headers)

    assert response.status_code == 200


def test_a_post_without_a_body_needs_no_content_type(client, auth_headers):
    response = client.post(LOGOUT, headers={**auth_headers, "Content-Type": "text/plain"})

    assert response.status_code == 204


@pytest.mark.parametrize(
    ("supplied", "echoed"),
    [
        ("abc-123_x.y:z", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("", False),
        ("bad id", False),
        ("id;drop", False),
        ("id/../x", False),
    ],
)
def test_a_request_id_is_echoed_only_when_safe_to_log(client, supplied, echoed):
    response = client.get("/health", headers={"X-Request-ID": supplied} if supplied else {})

    answered = response.headers["X-Request-ID"]
    assert (answered == supplied) is echoed
    if not echoed:
        assert len(answered) == 32
        assert int(answered, 16) >= 0


def test_every_answer_forbids_sniffing_and_caching(client):
    for response in (client.get("/health"), client.get(ME), client.post(LOGIN, data="[")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        assert len(response.headers["X-Request-ID"]) == 32
        assert response.headers["Content-Security-Policy"] == DATA_CSP


def test_the_docs_page_keeps_the_browsers_own_content_policy(client):
    response = client.get("/docs")

    assert response.mimetype == "text/html"
    assert response.headers.get("Content-Security-Policy") != DATA_CSP


# --- uploads: multipart only, within the model limit plus the form's overhead ---


def test_an_upload_sent_as_json_is_415_asking_for_multipart(client, auth_headers):
    response = client.post(MODELS, json={"name": "churn"}, headers=auth_headers)

    body = assert_problem(response, 415, "unsupported_media_type")
    assert body["detail"] == "Send the upload as multipart/form-data."


def multipart_of_length(length: int) -> tuple[bytes, str]:
    boundary = "b0undary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="notes"\r\n\r\n').encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + b"x" * (length - len(head) - len(tail)) + tail
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)])
def test_a_declared_length_is_held_to_the_file_limit_plus_the_form_overhead(
    configured_app, request, extra, refused
):
    configured_app(MAX_MODEL_BYTES=1000)
    client, headers = request.getfixturevalue("client"), request.getfixturevalue("auth_headers")
    body, content_type = multipart_of_length(1000 + MULTIPART_OVERHEAD + extra)

    response = client.post(MODELS, data=body, content_type=content_type, headers=headers)

    if refused:
        detail = assert_problem(response, 413, "payload_too_large")["detail"]
        assert detail == "Files may be at most 1000 bytes on this server."
    else:
        assert_problem(response, 422, "validation_error")


def test_upload_files_cut_off_by_the_limit_are_closed(configured_app, request, monkeypatch):
    configured_app(MAX_MODEL_BYTES=1024)
    client, headers = request.getfixturevalue("client"), request.getfixturevalue("auth_headers")
    opened = []
    parent = werkzeug.wrappers.Request._get_file_stream

    def tracked(self, *args, **kwargs):
        opened.append(parent(self, *args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(werkzeug.wrappers.Request, "_get_file_stream", tracked)
    head = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="m"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    response = client.post(
        MODELS,
        input_stream=io.BytesIO(head + b"x" * 200_000 + b"\r\n--b0undary--\r\n"),
        environ_overrides={"wsgi.input_terminated": True},
        headers={
            **headers,
            "Transfer-Encoding": "chunked",
            "Content-Type": "multipart/form-data; boundary=b0undary",
        },
    )

    assert_problem(response, 413, "payload_too_large")
    assert opened
    assert all(stream.closed for stream in opened)


# --- named features (mlapi/predictions/inputs.py) ---


@pytest.fixture
def owner(make_user, sign_in):
    user = make_user()
    return user.id, sign_in(user).headers


def predict(client, model_id: int, headers: dict, features):
    return client.post(f"{MODELS}/{model_id}/predict", json={"features": features}, headers=headers)


def test_named_features_for_a_model_without_names_are_refused_saying_how(app, client, owner):
    model_id = add_model(app, owner[0])
    named = {f"f{i}": value for i, value in enumerate(ROW)}

    errors = assert_problem(predict(client, model_id, owner[1], named), 422, "validation_error")[
        "errors"
    ]

    assert errors == {"features": ["This model has no feature names; send the features as a list."]}


def test_every_wrong_name_is_listed_in_order(app, client, owner):
    names = [f"f{i}" for i in range(len(ROW))]
    model_id = add_model(app, owner[0], feature_names=names)
    named = {name: 0.1 for name in names[2:]} | {"zeta": 1.0, "alpha": 2.0}

    errors = assert_problem(predict(client, model_id, owner[1], named), 422, "validation_error")[
        "errors"
    ]

    assert errors == {
        "features": ["Unknown feature names: alpha, zeta.", "Missing feature names: f0, f1."]
    }


# --- the features fields themselves (mlapi/predictions/schemas.py) ---


def test_a_features_field_advertises_what_the_contract_publishes():
    plugin = MarshmallowPlugin()
    APISpec("t", "1", "3.0.3", plugins=[plugin])
    published = json.loads(CONTRACT.read_text())["components"]["schemas"]

    named = plugin.converter.field2property(FeatureValues())
    listed = plugin.converter.field2property(feature_list())

    assert named["oneOf"] == published["ModelPredictRequest"]["properties"]["features"]["oneOf"]
    expected = dict(published["PredictRequest"]["properties"]["features"])
    for documentation in ("description", "example"):
        expected.pop(documentation)
    assert listed == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], f"Send between 1 and {MAX_FEATURES} features; got 0."),
        (
            [0.0] * (MAX_FEATURES + 1),
            f"Send between 1 and {MAX_FEATURES} features; got {MAX_FEATURES + 1}.",
        ),
        ({}, f"Send between 1 and {MAX_FEATURES} features; got 0."),
        ([True], "Not a number."),
        ({"a": "1"}, "Not a number."),
        ("1,2", "Not a valid list."),
    ],
)
def test_a_new_features_field_refuses_what_the_api_refuses(value, message):
    with pytest.raises(ValidationError) as refused:
        FeatureValues().deserialize(value)

    assert message in json.dumps(refused.value.messages)


@pytest.mark.parametrize(
    "value", [[float("nan")], [1.0, float("inf")], {"a": float("nan")}, {"b": float("-inf")}]
)
def test_a_new_features_field_refuses_nan_and_infinity(value):
    with pytest.raises(ValidationError):
        FeatureValues().deserialize(value)
    if isinstance(value, list):
        with pytest.raises(ValidationError):
            feature_list().deserialize(value)


@pytest.mark.parametrize(
    ("name", "accepted"), [("", False), ("a", True), ("n" * 200, True), ("n" * 201, False)]
)
def test_a_feature_name_has_1_to_200_characters(name, accepted):
    field = FeatureValues()
    if accepted:
        assert field.deserialize({name: 1}) == {name: 1.0}
    else:
        with pytest.raises(ValidationError):
            field.deserialize({name: 1})


def test_a_features_field_keeps_its_options():
    schema = ma.Schema.from_dict({"features": feature_list(required=True)})()

    assert schema.validate({}) == {"features": ["Missing data for required field."]}


def test_a_new_features_field_takes_one_or_the_most_features():
    assert FeatureValues().deserialize([1]) == [1.0]
    assert FeatureValues().deserialize({"a": 2}) == {"a": 2.0}
    assert len(feature_list().deserialize([0.5] * MAX_FEATURES)) == MAX_FEATURES
    most = {f"f{i}": 0.5 for i in range(MAX_FEATURES)}
    assert FeatureValues().deserialize(most) == most
