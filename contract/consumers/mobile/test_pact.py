"""The mobile backend's expectations of mlapi (writes contract/pacts/mobile-mlapi.json)."""

import pytest
from pact import match

from ..terms import (
    ACCOUNT,
    FEEDBACK,
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
from .client import InvalidFeedback, MobileBackend, SignIn, SignInAgain

CONSUMER = "mobile"
USER = "mobile-app"
MODEL = "mobile-model"
READING = [0.038, 0.051, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.02, -0.018]


def signed_in(srv) -> MobileBackend:
    return MobileBackend(str(srv.url), SignIn("example-access-token", "example-refresh-token"))


def test_log_in(pact):
    (
        pact.upon_receiving("a sign-in from the app")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/auth/login")
        .with_body({"username": USER, "password": PASSWORD}, content_type=JSON)
        .will_respond_with(200)
        .with_body(
            {
                "access_token": match.regex("a.b.c", regex=JWT),
                "refresh_token": match.regex("d.e.f", regex=JWT),
            },
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        assert MobileBackend(str(srv.url)).log_in(USER, PASSWORD) == SignIn("a.b.c", "d.e.f")


def test_keep_the_sign_in_fresh(pact):
    (
        pact.upon_receiving("a refresh from the app")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/auth/refresh")
        .with_header("Authorization", bearer("refresh_token"))
        .will_respond_with(200)
        .with_body({"access_token": match.regex("g.h.i", regex=JWT)}, content_type=JSON)
    )
    with pact.serve() as srv:
        assert signed_in(srv).keep_fresh() == "g.h.i"


def test_refresh_with_an_access_token(pact):
    (
        pact.upon_receiving("a refresh sent with an access token instead of the refresh token")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/auth/refresh")
        .with_header("Authorization", bearer("access_token"))
        .will_respond_with(401)
        .with_body(problem(401, "token_invalid"), content_type=PROBLEM)
    )
    with pact.serve() as srv, pytest.raises(SignInAgain, match="token_invalid"):
        MobileBackend(str(srv.url), SignIn("unused", "example-access-token")).keep_fresh()


def test_predict(pact):
    (
        pact.upon_receiving("a prediction from the default model for the app")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/predict")
        .with_header("Authorization", bearer())
        .with_body({"features": READING}, content_type=JSON)
        .will_respond_with(200)
        .with_body(
            {
                "prediction_id": match.int(51),
                "prediction": match.number(206.1),
                "cached": match.bool(False),
            },
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        assert signed_in(srv).predict(READING) == {"id": 51, "value": 206.1, "instant": False}


def _feedback(prediction_id: int = 51) -> dict:
    return {
        "id": match.int(8),
        "prediction_id": match.int(prediction_id),
        "actual_value": 1,
        "score": 4,
        "created_at": timestamp(),
    }


def test_report_an_outcome(pact):
    (
        pact.upon_receiving("the outcome a user reports on their prediction")
        .given(PREDICTION, user=USER, model=MODEL)
        .with_request(
            "POST", path_with("/api/v1/predictions/{prediction_id}/feedback", prediction_id=51)
        )
        .with_header("Authorization", bearer())
        .with_body({"actual_value": 1, "score": 4}, content_type=JSON)
        .will_respond_with(201)
        .with_body(_feedback(), content_type=JSON)
    )
    with pact.serve() as srv:
        assert signed_in(srv).report_outcome(51, outcome=1, stars=4) is False


def test_report_an_outcome_again(pact):
    (
        pact.upon_receiving("a second outcome report that replaces the first")
        .given(FEEDBACK, user=USER)
        .with_request(
            "POST", path_with("/api/v1/predictions/{prediction_id}/feedback", prediction_id=51)
        )
        .with_header("Authorization", bearer())
        .with_body({"actual_value": 1, "score": 4}, content_type=JSON)
        .will_respond_with(200)
        .with_body(_feedback(), content_type=JSON)
    )
    with pact.serve() as srv:
        assert signed_in(srv).report_outcome(51, outcome=1, stars=4) is True


def test_an_outcome_with_too_many_stars(pact):
    (
        pact.upon_receiving("an outcome report with a score of 9 out of 5")
        .given(PREDICTION, user=USER, model=MODEL)
        .with_request(
            "POST", path_with("/api/v1/predictions/{prediction_id}/feedback", prediction_id=51)
        )
        .with_header("Authorization", bearer())
        .with_body({"actual_value": 1, "score": 9}, content_type=JSON)
        .will_respond_with(422)
        .with_body(problem(422, "validation_error", **field_errors("score")), content_type=PROBLEM)
    )
    with pact.serve() as srv, pytest.raises(InvalidFeedback) as refused:
        signed_in(srv).report_outcome(51, outcome=1, stars=9)
    assert list(refused.value.errors) == ["score"]


def test_log_out(pact):
    (
        pact.upon_receiving("a sign-out from the app")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/auth/logout")
        .with_header("Authorization", bearer())
        .will_respond_with(204)
    )
    with pact.serve() as srv:
        backend = signed_in(srv)
        backend.log_out()
    assert backend.sign_in is None
