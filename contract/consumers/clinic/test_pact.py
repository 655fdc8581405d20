"""The clinic web app's expectations of mlapi (writes contract/pacts/clinic-mlapi.json)."""

import pytest
from pact import match

from ..terms import (
    ACCOUNT,
    JSON,
    JWT,
    PASSWORD,
    PREDICTION,
    PROBLEM,
    bearer,
    field_errors,
    path_with,
    problem,
    timestamp,
)
from .client import ClinicClient, InvalidPatientData, SignInFailed, refresh, sign_in

CONSUMER = "clinic"
USER = "clinic-app"
PATIENT = [0.038, 0.051, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.02, -0.018]


def test_sign_in(pact):
    (
        pact.upon_receiving("a clinician's sign-in with the right password")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/auth/login")
        .with_body({"username": USER, "password": PASSWORD}, content_type=JSON)
        .will_respond_with(200)
        .with_body(
            {
                "access_token": match.regex("a.b.c", regex=JWT),
                "refresh_token": match.regex("d.e.f", regex=JWT),
                "token_type": "bearer",
                "expires_in": match.int(900),
            },
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        tokens = sign_in(str(srv.url), USER, PASSWORD)
    assert (tokens.access, tokens.refresh, tokens.expires_in) == ("a.b.c", "d.e.f", 900)


def test_sign_in_with_a_wrong_password(pact):
    (
        pact.upon_receiving("a clinician's sign-in with a wrong password")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/auth/login")
        .with_body({"username": USER, "password": "not the password at all"}, content_type=JSON)
        .will_respond_with(401)
        .with_body(problem(401, "invalid_credentials"), content_type=PROBLEM)
    )
    with pact.serve() as srv, pytest.raises(SignInFailed):
        sign_in(str(srv.url), USER, "not the password at all")


def test_refresh(pact):
    (
        pact.upon_receiving("a refresh of the clinician's access token")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/auth/refresh")
        .with_header("Authorization", bearer("refresh_token"))
        .will_respond_with(200)
        .with_body(
            {
                "access_token": match.regex("g.h.i", regex=JWT),
                "token_type": "bearer",
                "expires_in": match.int(900),
            },
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        tokens = refresh(str(srv.url), "example-refresh-token")
    assert (tokens.access, tokens.refresh) == ("g.h.i", "example-refresh-token")


def test_clinician_profile(pact):
    (
        pact.upon_receiving("the signed-in clinician's profile")
        .given(ACCOUNT, user=USER)
        .with_request("GET", "/api/v1/users/me")
        .with_header("Authorization", bearer())
        .will_respond_with(200)
        .with_body(
            {"id": match.int(3), "username": USER, "role": "user", "is_active": True},
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        assert ClinicClient(str(srv.url), "example-access-token").clinician() == USER


def test_progression_of_one_patient(pact):
    (
        pact.upon_receiving("a prediction for one patient from the default model")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/predict")
        .with_header("Authorization", bearer())
        .with_body({"features": PATIENT}, content_type=JSON)
        .will_respond_with(200)
        .with_body(
            {
                "prediction_id": match.int(41),
                "prediction": match.number(206.1),
                "model_id": match.int(1),
                "model_name": match.str("diabetes"),
                "model_version": match.int(1),
                "cached": match.bool(False),
                "latency_ms": match.number(0.4),
            },
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        answer = ClinicClient(str(srv.url), "example-access-token").progression(PATIENT)
    assert (answer.prediction_id, answer.value, answer.model) == (41, 206.1, "diabetes v1")


def test_incomplete_patient_data(pact):
    (
        pact.upon_receiving("a prediction for a patient with three of the ten measurements")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/predict")
        .with_header("Authorization", bearer())
        .with_body({"features": PATIENT[:3]}, content_type=JSON)
        .will_respond_with(422)
        .with_body(
            problem(422, "validation_error", **field_errors("features")), content_type=PROBLEM
        )
    )
    with pact.serve() as srv, pytest.raises(InvalidPatientData) as refused:
        ClinicClient(str(srv.url), "example-access-token").progression(PATIENT[:3])
    assert list(refused.value.errors) == ["features"]


def test_reopen_a_prediction(pact):
    (
        pact.upon_receiving("a prediction the clinician made, opened again")
        .given(PREDICTION, user=USER, model="clinic-model")
        .with_request("GET", path_with("/api/v1/predictions/{prediction_id}", prediction_id=41))
        .with_header("Authorization", bearer())
        .will_respond_with(200)
        .with_body(
            {
                "id": match.int(41),
                "model_name": "clinic-model",
                "features": match.each_like(0.5),
                "prediction": match.int(1),
                "created_at": timestamp(),
                "feedback": None,
            },
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        page = ClinicClient(str(srv.url), "example-access-token").reopen(41)
    assert page == {
        "features": [0.5],
        "prediction": 1,
        "model": "clinic-model",
        "when": "2026-12-07T09:30:00.123456+00:00",
        "outcome": None,
    }
