"""Billing's expectations of mlapi (writes contract/pacts/billing-mlapi.json)."""

import pytest
from pact import match

from ..terms import (
    ACCOUNT,
    API_KEY,
    HIDDEN_MODEL,
    JSON,
    KEY,
    KEY_PREFIX,
    PREDICTION,
    PROBLEM,
    api_key,
    bearer,
    page_of,
    path_with,
    problem,
    timestamp,
)
from .client import BillingClient, NeedsSignIn, NotOurModel

CONSUMER = "billing"
USER = "billing-app"
KEY_NAME = "invoicing"
CUSTOMER = [0.038, 0.051, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.02, -0.018]
PREFIX = "mlapi_0123456789ab"


def person(srv) -> BillingClient:
    return BillingClient(str(srv.url), access_token="example-access-token")


def job(srv, key: str = "mlapi_0123456789ab_example-secret") -> BillingClient:
    return BillingClient(str(srv.url), api_key=key)


def test_create_a_key_for_the_job(pact):
    (
        pact.upon_receiving("a new API key for the invoicing job")
        .given(ACCOUNT, user=USER)
        .with_request("POST", "/api/v1/auth/api-keys")
        .with_header("Authorization", bearer())
        .with_body({"name": KEY_NAME, "expires_in_days": 90}, content_type=JSON)
        .will_respond_with(201)
        .with_body(
            {
                "id": match.int(5),
                "name": KEY_NAME,
                "prefix": match.regex(PREFIX, regex=KEY_PREFIX),
                "key": match.regex(f"{PREFIX}_Yx8sQ2", regex=KEY),
                "created_at": timestamp(),
                "expires_at": timestamp("2027-03-07T09:30:00.123456+00:00"),
            },
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        new = person(srv).create_key(KEY_NAME, days=90)
    assert (new.id, new.prefix, new.secret) == (5, PREFIX, f"{PREFIX}_Yx8sQ2")


def test_list_the_teams_keys(pact):
    (
        pact.upon_receiving("the team's API keys")
        .given(API_KEY, user=USER, key=KEY_NAME)
        .with_request("GET", "/api/v1/auth/api-keys")
        .with_header("Authorization", bearer())
        .will_respond_with(200)
        .with_body(
            page_of(
                {
                    "id": match.int(5),
                    "name": KEY_NAME,
                    "prefix": match.regex(PREFIX, regex=KEY_PREFIX),
                    "created_at": timestamp(),
                }
            ),
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        assert person(srv).keys() == {PREFIX: 5}


def test_revoke_a_key(pact):
    (
        pact.upon_receiving("the deletion of the invoicing job's API key")
        .given(API_KEY, user=USER, key=KEY_NAME)
        .with_request("DELETE", path_with("/api/v1/auth/api-keys/{key_id}", key_id=5))
        .with_header("Authorization", bearer())
        .will_respond_with(204)
    )
    with pact.serve() as srv:
        person(srv).revoke_key(5)


def test_a_key_cannot_make_keys(pact):
    (
        pact.upon_receiving("a new API key asked for with an API key")
        .given(API_KEY, user=USER, key=KEY_NAME)
        .with_request("POST", "/api/v1/auth/api-keys")
        .with_header("X-API-Key", api_key())
        .with_body({"name": "nightly", "expires_in_days": 30}, content_type=JSON)
        .will_respond_with(403)
        .with_body(problem(403, "forbidden"), content_type=PROBLEM)
    )
    with pact.serve() as srv, pytest.raises(NeedsSignIn):
        job(srv).create_key("nightly", days=30)


def test_price_with_the_jobs_key(pact):
    (
        pact.upon_receiving("a prediction from the default model, with an API key")
        .given(API_KEY, user=USER, key=KEY_NAME)
        .with_request("POST", "/api/v1/predict")
        .with_header("X-API-Key", api_key())
        .with_body({"features": CUSTOMER}, content_type=JSON)
        .will_respond_with(200)
        .with_body(
            {"prediction_id": match.int(77), "prediction": match.number(206.1)}, content_type=JSON
        )
    )
    with pact.serve() as srv:
        assert job(srv).price(CUSTOMER) == (77, 206.1)


def test_invoice_lines_with_the_jobs_key(pact):
    (
        pact.upon_receiving("the team's prediction history, with an API key")
        .given(API_KEY, user=USER, key=KEY_NAME)
        .given(PREDICTION, user=USER, model="billing-model")
        .with_request("GET", "/api/v1/predictions")
        .with_query_parameters({"page": "1", "per_page": "100"})
        .with_header("X-API-Key", api_key())
        .will_respond_with(200)
        .with_body(
            page_of(
                {
                    "id": match.int(77),
                    "model_name": "billing-model",
                    "model_version": match.int(1),
                    "created_at": timestamp(),
                },
                per_page=100,
            ),
            content_type=JSON,
        )
    )
    with pact.serve() as srv:
        assert job(srv).invoice_lines() == [
            (77, "billing-model v1", "2026-12-07T09:30:00.123456+00:00")
        ]


def test_another_teams_private_model(pact):
    (
        pact.upon_receiving("a prediction from another team's private model")
        .given(ACCOUNT, user=USER)
        .given(HIDDEN_MODEL, owner="mallory", model="mallory-model", user=USER)
        .with_request("POST", path_with("/api/v1/models/{model_id}/predict", model_id=9))
        .with_header("Authorization", bearer())
        .with_body({"features": [61.0, 31.2, 88.0, 142.0]}, content_type=JSON)
        .will_respond_with(403)
        .with_body(problem(403, "forbidden"), content_type=PROBLEM)
    )
    with pact.serve() as srv, pytest.raises(NotOurModel):
        person(srv).price([61.0, 31.2, 88.0, 142.0], model_id=9)


def test_a_key_that_was_revoked(pact):
    revoked = "mlapi_000000000000_revoked-long-ago"  # no such key: not a secret
    (
        pact.upon_receiving("the team's history asked for with an unknown API key")
        .given(ACCOUNT, user=USER)
        .with_request("GET", "/api/v1/predictions")
        .with_query_parameters({"page": "1", "per_page": "100"})
        .with_header("X-API-Key", revoked)
        .will_respond_with(401)
        .with_body(problem(401, "api_key_invalid"), content_type=PROBLEM)
    )
    with pact.serve() as srv, pytest.raises(NeedsSignIn):
        job(srv, revoked).invoice_lines()
