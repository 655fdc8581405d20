"""What an uploaded file may be: skops archives of trusted estimators, pickles only when the
operator allows them; told from the content, never from the file name."""

import io

import pytest

from mlapi.registry.loader import load_artifact
from tests.steps.common_steps import assert_refused
from tests.support.model_files import model_file
from tests.unit.registry.test_upload import form_for, post_form


def test_a_pickle_is_refused_explaining_why_and_how(client, auth_headers):
    form = form_for("pickle")
    form["file"] = (io.BytesIO(model_file("pickle")), "model.skops")  # the name lies

    body = assert_refused(post_form(client, auth_headers, **form), 422, "pickle_refused")

    assert "runs whatever code" in body["detail"]
    assert "skops" in body["detail"]
    assert "MLAPI_ALLOW_PICKLE=true" in body["detail"]


def test_a_pickle_is_accepted_when_the_operator_allows_it(configured_app, request):
    configured_app(ALLOW_PICKLE=True)
    upload_model = request.getfixturevalue("upload_model")
    headers = request.getfixturevalue("auth_headers")

    body = upload_model(headers, "legacy", kind="pickle")

    assert body["task"] == "regression"
    assert body["n_features"] == 10


def test_a_stored_pickle_is_not_loaded_once_pickles_are_disallowed(configured_app, request):
    app = configured_app(ALLOW_PICKLE=True)
    headers = request.getfixturevalue("auth_headers")
    record = request.getfixturevalue("upload_model")(headers, "legacy", kind="pickle")
    app.config["ALLOW_PICKLE"] = False  # the operator changed their mind and restarted

    response = request.getfixturevalue("client").post(
        f"/api/v1/models/{record['id']}/predict", headers=headers, json={"features": [0.01] * 10}
    )

    assert_refused(response, 503, "model_unavailable")


def test_untrusted_types_are_refused_by_name(client, auth_headers):
    response = post_form(client, auth_headers, **form_for("untrusted"))

    body = assert_refused(response, 422, "untrusted_model")
    assert "system" in body["detail"]


@pytest.mark.parametrize("kind", ["corrupt", "not_a_model"])
def test_files_that_do_not_load_as_estimators_are_refused(client, auth_headers, kind):
    assert_refused(post_form(client, auth_headers, **form_for(kind)), 422, "model_load_error")


@pytest.mark.parametrize(
    "content", [b"", b"hello, model", b"\x1f\x8b\x08compressed"], ids=["empty", "text", "gzip"]
)
def test_files_of_other_formats_are_refused(client, auth_headers, content):
    form = form_for(file=(io.BytesIO(content), "model.skops"))

    assert_refused(post_form(client, auth_headers, **form), 422, "model_load_error")


def test_an_unfitted_estimator_is_refused_on_file(client, auth_headers):
    import skops.io as sio
    from sklearn.linear_model import Ridge

    form = form_for(file=(io.BytesIO(sio.dumps(Ridge())), "ridge.skops"))

    body = assert_refused(post_form(client, auth_headers, **form), 422, "validation_error")
    assert "file" in body["errors"]


def test_a_broken_pickle_is_a_load_error_even_when_allowed():
    from mlapi.errors import ModelLoadError

    with pytest.raises(ModelLoadError):
        load_artifact(b"\x80\x05garbage", allow_pickle=True)


def test_a_file_over_the_limit_is_refused_as_too_large(configured_app, request):
    configured_app(MAX_MODEL_BYTES=1024)
    client = request.getfixturevalue("client")
    headers = request.getfixturevalue("auth_headers")

    response = post_form(client, headers, **form_for())

    body = assert_refused(response, 413, "payload_too_large")
    assert "1024" in body["detail"]


def test_a_file_just_over_the_limit_in_a_small_body_is_too_large(configured_app, request):
    """The body limit leaves room for the form; the file itself is held to the setting."""
    size = len(model_file("regressor"))
    configured_app(MAX_MODEL_BYTES=size - 1)
    client = request.getfixturevalue("client")
    headers = request.getfixturevalue("auth_headers")

    assert_refused(post_form(client, headers, **form_for()), 413, "payload_too_large")


def test_a_file_at_the_limit_is_accepted(configured_app, request):
    configured_app(MAX_MODEL_BYTES=len(model_file("regressor")))
    upload_model = request.getfixturevalue("upload_model")

    assert upload_model(request.getfixturevalue("auth_headers"), "churn")["version"] == 1


def test_a_streamed_body_over_the_limit_is_refused(configured_app, request):
    """No Content-Length: the limit still holds while the body streams in."""
    configured_app(MAX_MODEL_BYTES=1024)
    client = request.getfixturevalue("client")
    headers = request.getfixturevalue("auth_headers")
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="m"\r\n\r\n'
    ).encode()
    body = head + b"x" * 200_000 + f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/api/v1/models",
        input_stream=io.BytesIO(body),
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn says of chunked
        headers={
            **headers,
            "Transfer-Encoding": "chunked",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )

    assert_refused(response, 413, "payload_too_large")


def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(configured_app, request):
    configured_app(MAX_MODEL_BYTES=1024)
    client = request.getfixturevalue("client")
    headers = request.getfixturevalue("auth_headers")
    form = form_for(file=(io.BytesIO(b"PK\x03\x04" + b"x" * 100_000), "big.skops"))

    response = post_form(client, headers, **form)

    body = assert_refused(response, 413, "payload_too_large")
    assert "1024 bytes" in body["detail"]
