"""Uploading models: the form's rules, the file's format and what the record says."""

import io

import pytest

from tests.steps.common_steps import assert_refused, assert_refused_pointing_at
from tests.support.model_files import model_file


def post_form(client, headers, **form):
    return client.post(
        "/api/v1/models", data=form, headers=headers, content_type="multipart/form-data"
    )


def form_for(kind="regressor", **fields):
    return {
        "name": "churn",
        "model_type": "sklearn",
        "file": (io.BytesIO(model_file(kind)), "model.bin"),
        **fields,
    }


def test_upload_answers_the_record_with_its_location(client, auth_headers, user):
    response = post_form(client, auth_headers, **form_for(description="first try"))

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/models/{body['id']}")
    assert body["name"] == "churn"
    assert body["version"] == 1
    assert body["task"] == "regression"
    assert body["n_features"] == 10
    assert body["visibility"] == "private"
    assert body["owner"] == {"id": user.id, "username": user.username}
    assert body["description"] == "first try"
    assert body["size_bytes"] == len(model_file("regressor"))
    assert "classes" not in body
    assert "path" not in body


def test_a_classifier_records_its_task_and_classes(upload_model, auth_headers):
    body = upload_model(auth_headers, "iris", kind="classifier", visibility="public")

    assert body["task"] == "classification"
    assert body["classes"] == [0, 1, 2]
    assert body["n_features"] == 4
    assert body["visibility"] == "public"


def test_a_tree_needs_an_allow_listed_type_and_loads(upload_model, auth_headers):
    assert upload_model(auth_headers, "tree", kind="tree")["task"] == "classification"


def test_sha256_is_the_digest_of_the_uploaded_bytes(upload_model, auth_headers):
    import hashlib

    body = upload_model(auth_headers, "churn")

    assert body["sha256"] == hashlib.sha256(model_file("regressor")).hexdigest()


@pytest.mark.parametrize("name", ["a", "churn", "Churn-v2.final_1", "x" * 100])
def test_names_of_allowed_characters_are_accepted(upload_model, auth_headers, name):
    assert upload_model(auth_headers, name)["name"] == name


@pytest.mark.parametrize(
    "name",
    ["", " ", "churn model", "churn\n", "\nchurn", "!@#$", "x" * 101, "café", "a/b"],
    ids=[
        "empty",
        "space",
        "inner space",
        "trailing newline",
        "leading newline",
        "symbols",
        "too long",
        "accent",
        "slash",
    ],
)
def test_other_names_are_refused_on_name(client, auth_headers, name):
    response = post_form(client, auth_headers, **form_for(name=name))

    assert_refused_pointing_at(response, "name")


@pytest.mark.parametrize("model_type", ["SKLEARN", "Sklearn", "pytorch", "", "sklearn "])
def test_model_types_other_than_sklearn_are_refused_naming_it(client, auth_headers, model_type):
    response = post_form(client, auth_headers, **form_for(model_type=model_type))

    body = assert_refused_pointing_at(response, "model_type")
    assert "sklearn" in body["errors"]["model_type"][0]


@pytest.mark.parametrize("missing", ["file", "name", "model_type"])
def test_required_parts_are_named_when_missing(client, auth_headers, missing):
    form = form_for()
    del form[missing]

    assert_refused_pointing_at(post_form(client, auth_headers, **form), missing)


def test_the_file_must_be_a_file_part(client, auth_headers):
    response = post_form(client, auth_headers, **form_for(file="not a file"))

    assert_refused_pointing_at(response, "file")


@pytest.mark.parametrize("field", ["owner", "version", "sha256", "is_default"])
def test_unknown_form_fields_are_refused_by_name(client, auth_headers, field):
    response = post_form(client, auth_headers, **form_for(**{field: "1"}))

    assert_refused_pointing_at(response, field)


@pytest.mark.parametrize(
    ("field", "value"),
    [("visibility", "secret"), ("visibility", "PUBLIC"), ("description", "x" * 1001)],
)
def test_visibility_and_description_are_checked(client, auth_headers, field, value):
    assert_refused_pointing_at(post_form(client, auth_headers, **form_for(**{field: value})), field)


def test_feature_names_from_the_form_are_recorded(upload_model, auth_headers):
    names = "sepal_l, sepal_w,petal_l,petal_w"

    body = upload_model(auth_headers, "iris", kind="classifier", feature_names=names)

    assert body["feature_names"] == ["sepal_l", "sepal_w", "petal_l", "petal_w"]


@pytest.mark.parametrize(
    "names",
    ["a,b,c", "a,b,c,d,e", "a,,c,d", "a,a,b,c"],
    ids=["too few", "too many", "empty name", "duplicate"],
)
def test_feature_names_must_match_the_model(client, auth_headers, names):
    form = form_for("classifier", feature_names=names)

    assert_refused_pointing_at(post_form(client, auth_headers, **form), "feature_names")


def test_upload_needs_credentials(client):
    response = post_form(client, {}, **form_for())

    assert_refused(response, 401, "unauthorized")


def test_a_json_body_is_refused_as_the_wrong_media_type(client, auth_headers):
    response = client.post("/api/v1/models", json={"name": "churn"}, headers=auth_headers)

    assert_refused(response, 415, "unsupported_media_type")
