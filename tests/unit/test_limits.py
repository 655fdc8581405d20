"""Rate limits (mlapi/limits.py): whose budget a request spends, and what a client is told.

Tiny budgets ("2/minute") are set through ``configured_app``; nothing here waits for a
window to pass.
"""

import pytest

from mlapi import create_app
from mlapi.config import ConfigError
from mlapi.limits import reset_limits
from tests.contract_client import ContractClient
from tests.support.settings import TEST_PASSWORD
from tests.support.users import bearer
from tests.unit.helpers import ROW, assert_problem

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
ME = "/api/v1/users/me"
PREDICT = "/api/v1/predict"
BATCH = "/api/v1/batch-predict"
KEYS = "/api/v1/auth/api-keys"
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def assert_rate_limited(response, limit: int) -> dict:
    body = assert_problem(response, 429, "rate_limited")
    assert "Retry-After" in body["detail"]
    assert 0 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-RateLimit-Limit"] == str(limit)
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Reset"]) > 0
    return body


def login(
    client,
    username: str,
    password: str = TEST_PASSWORD,
    *,
    address="10.0.0.1",
    headers=None,
    field: str = "username",
):
    return client.post(
        LOGIN,
        json={field: username, "password": password},
        headers=headers or {},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def limited(configured_app, request):
    """Build the app with these settings; return its test client (fixtures that need the
    app, such as users, come afterwards from ``later``)."""

    def build(**settings):
        configured_app(**settings)
        return request.getfixturevalue("client")

    return build


@pytest.fixture
def later(request):
    """A fixture by name, once the app is built: ``later("user")``."""
    return request.getfixturevalue


# --- which endpoints spend which budget ------------------------------------------------


def test_429_is_documented_on_every_api_operation_and_nowhere_else(app):
    document = app.extensions["mlapi.api"].spec.to_dict()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert ("429" in operation["responses"]) == path.startswith("/api/"), (method, path)


# --- per user (all of a user's tokens and keys) ---------------------------------------


def test_a_user_who_uses_up_the_budget_is_refused_and_told_when_to_retry(limited, later):
    client = limited(RATELIMIT_DEFAULT="2/minute")
    make_user, sign_in = later("make_user"), later("sign_in")
    alice, bob = sign_in(make_user()), sign_in(make_user())

    first = client.get(ME, headers=alice.headers)
    second = client.get(ME, headers=alice.headers)
    third = client.get(ME, headers=alice.headers)

    assert [first.status_code, second.status_code] == [200, 200]
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert "Retry-After" not in first.headers  # only a refusal says "wait"
    assert_rate_limited(third, 2)
    assert client.get(ME, headers=bob.headers).status_code == 200  # Bob's budget is his own


def test_every_authenticated_endpoint_shares_one_budget(limited, later):
    client = limited(RATELIMIT_DEFAULT="2/minute")
    user, sign_in = later("user"), later("sign_in")
    headers = sign_in(user).headers

    assert client.get(ME, headers=headers).status_code == 200
    assert client.get("/api/v1/models", headers=headers).status_code == 200
    assert_rate_limited(client.get("/api/v1/predictions", headers=headers), 2)


def test_predictions_have_a_budget_of_their_own(limited, later):
    client = limited(RATELIMIT_PREDICT="2/minute", RATELIMIT_DEFAULT="2/minute")
    user, sign_in = later("user"), later("sign_in")
    headers = sign_in(user).headers

    assert client.post(PREDICT, json={"features": ROW}, headers=headers).status_code == 200
    assert client.post(BATCH, json={"samples": [ROW]}, headers=headers).status_code == 200
    refused = client.post(PREDICT, json={"features": ROW}, headers=headers)

    assert_rate_limited(refused, 2)
    assert client.get(ME, headers=headers).status_code == 200  # the other budget is intact


def test_a_users_tokens_and_api_keys_share_one_budget(limited, later):
    client = limited(RATELIMIT_DEFAULT="3/minute")
    user, sign_in = later("user"), later("sign_in")
    session = sign_in(user).headers
    first_key = client.post(KEYS, json={"name": "etl"}, headers=session).get_json()["key"]
    second_key = client.post(KEYS, json={"name": "cron"}, headers=session).get_json()["key"]
    # Creating the two keys spent 2 of the 3 requests.

    assert client.get(ME, headers={"X-API-Key": first_key}).status_code == 200
    assert_rate_limited(client.get(ME, headers={"X-API-Key": second_key}), 3)
    assert_rate_limited(client.get(ME, headers=session), 3)


def test_requests_that_fail_authentication_spend_no_budget(limited, later):
    client = limited(RATELIMIT_DEFAULT="1/minute")
    user, sign_in = later("user"), later("sign_in")
    headers = sign_in(user).headers

    for credentials in (
        {},
        bearer("not-a-token"),
        {"X-API-Key": "mlapi_wrong"},
        {**headers, "X-API-Key": "mlapi_wrong"},
    ):
        for _ in range(3):
            assert client.get(ME, headers=credentials).status_code == 401

    assert client.get(ME, headers=headers).status_code == 200
    assert_rate_limited(client.get(ME, headers=headers), 1)


# --- sign-in: per address, and failed attempts per account --------------------------


def test_sign_ins_from_one_address_are_limited_whatever_the_username(limited, later):
    client = limited(RATELIMIT_LOGIN="2/minute")
    user = later("user")

    assert login(client, user.username).status_code == 200
    assert login(client, "someone-else", "wrong").status_code == 401
    refused = login(client, "a-third-name", "wrong", headers={"X-Request-ID": "trace-1"})
    assert_rate_limited(refused, 2)
    assert refused.headers["X-Request-ID"] == "trace-1"  # the app's hooks ran first
    assert_rate_limited(login(client, user.username), 2)  # the right password too
    assert login(client, user.username, address="10.0.0.2").status_code == 200


def test_a_correct_sign_in_never_spends_the_accounts_budget(limited, later):
    client = limited(RATELIMIT_LOGIN="100/minute", RATELIMIT_LOGIN_ACCOUNT="2/minute")
    user = later("user")

    for attempt in range(5):
        assert login(client, user.username, address=f"10.0.1.{attempt}").status_code == 200
    assert login(client, user.username, "wrong").status_code == 401
    assert login(client, user.username).status_code == 200
    assert login(client, user.username, "wrong").status_code == 401


def test_failed_sign_ins_for_one_account_are_stopped_from_any_address(limited, later):
    client = limited(RATELIMIT_LOGIN="100/minute", RATELIMIT_LOGIN_ACCOUNT="2/minute")
    user = later("user")

    assert login(client, user.username, "wrong", address="10.0.2.1").status_code == 401
    assert login(client, user.username.upper(), "wrong", address="10.0.2.2").status_code == 401
    refused = login(client, user.username.capitalize(), "wrong", address="10.0.2.3")

    body = assert_rate_limited(refused, 2)
    assert "failed sign-ins" in body["detail"]
    # For the rest of the window every attempt for the account gets 429, the right
    # password too (from a client that never signed in to it); other names are not affected.
    assert_rate_limited(login(client, user.username, "wrong", address="10.0.2.4"), 2)
    assert_rate_limited(login(client, user.username, address="10.0.2.5"), 2)
    assert login(client, "somebody-else", "wrong", address="10.0.2.6").status_code == 401


def test_the_email_address_and_the_username_share_the_accounts_budget(limited, later):
    client = limited(RATELIMIT_LOGIN="100/minute", RATELIMIT_LOGIN_ACCOUNT="1/minute")
    user = later("user")

    assert login(client, user.email, "wrong", field="email").status_code == 401
    assert_rate_limited(login(client, user.email.upper(), "wrong"), 1)
    assert_rate_limited(login(client, user.username, "wrong"), 1)
    assert login(client, "nobody@example.com", "wrong").status_code == 401  # its own budget
    assert_rate_limited(login(client, "NOBODY@example.com", "wrong"), 1)


def test_a_sign_in_without_an_identifier_spends_only_the_address_budget(limited):
    client = limited(RATELIMIT_LOGIN="2/minute", RATELIMIT_LOGIN_ACCOUNT="1/minute")

    assert client.post(LOGIN, json={"password": "x"}).status_code == 422
    assert client.post(LOGIN, json={"password": "x"}).status_code == 422
    assert_rate_limited(client.post(LOGIN, json={"password": "x"}), 2)


def test_registration_is_limited_per_address(limited):
    client = limited(RATELIMIT_DEFAULT="1/minute")

    def register(name, address):
        return client.post(
            REGISTER,
            json={"username": name, "email": f"{name}@example.com", "password": "long-enough-1"},
            environ_base={"REMOTE_ADDR": address},
        )

    assert register("carol", "10.0.3.1").status_code == 201
    assert_rate_limited(register("dave", "10.0.3.1"), 1)
    assert register("erin", "10.0.3.2").status_code == 201


# --- the client address -----------------------------------------------------------------


def test_without_trusted_proxies_a_forwarded_for_header_changes_nothing(limited):
    client = limited(RATELIMIT_LOGIN="2/minute")

    for spoofed in ("1.1.1.1", "2.2.2.2"):
        assert login(client, "x", "wrong", headers={"X-Forwarded-For": spoofed}).status_code == 401
    assert_rate_limited(login(client, "x", "wrong", headers={"X-Forwarded-For": "3.3.3.3"}), 2)


def test_with_one_trusted_proxy_the_address_it_saw_is_the_client(limited):
    client = limited(RATELIMIT_LOGIN="1/minute", TRUSTED_PROXIES=1)

    def attempt(forwarded_for):
        return login(client, "x", "wrong", headers={"X-Forwarded-For": forwarded_for})

    assert attempt("9.9.9.9, 203.0.113.7").status_code == 401
    # A client writing its own entries in front changes nothing: the proxy's is last.
    assert_rate_limited(attempt("8.8.8.8, 203.0.113.7"), 1)
    assert attempt("203.0.113.8").status_code == 401  # another client behind the proxy


def test_with_two_trusted_proxies_the_second_entry_from_the_right_is_the_client(limited):
    client = limited(RATELIMIT_LOGIN="1/minute", TRUSTED_PROXIES=2)

    def attempt(forwarded_for):
        return login(client, "x", "wrong", headers={"X-Forwarded-For": forwarded_for})

    assert attempt("6.6.6.6, 203.0.113.7, 10.0.0.5").status_code == 401
    assert_rate_limited(attempt("7.7.7.7, 203.0.113.7, 10.0.0.6"), 1)
    assert attempt("203.0.113.8, 10.0.0.5").status_code == 401


# --- switches and isolation -------------------------------------------------------------


def test_limits_can_be_turned_off(limited, later):
    client = limited(
        RATELIMIT_ENABLED=False, RATELIMIT_DEFAULT="1/minute", RATELIMIT_LOGIN="1/minute"
    )
    user, sign_in = later("user"), later("sign_in")
    headers = sign_in(user).headers
    sign_in(user)

    responses = [client.get(ME, headers=headers) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert not any(name in responses[-1].headers for name in RATE_HEADERS)


def test_the_preflight_of_a_sign_in_spends_nothing(limited):
    client = limited(RATELIMIT_LOGIN="1/minute")

    for _ in range(3):
        response = client.options(
            LOGIN,
            headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
        )
        assert response.status_code == 200
    assert login(client, "x", "wrong").status_code == 401


def test_each_app_counts_for_itself(app_config, tmp_path):
    """Per-test isolation: two apps (two tests) never share in-process counts."""
    # In-process counts even when the suite runs against Redis (MLAPI_TEST_REDIS_URL),
    # where these two apps, having one key prefix, would share theirs.
    settings = {**app_config, "RATELIMIT_LOGIN": "1/minute", "REDIS_URL": None}
    first, second = create_app(settings), create_app(settings)
    for app in (first, second):
        app.test_client_class = ContractClient

    assert login(first.test_client(), "x", "wrong").status_code == 401
    assert login(first.test_client(), "x", "wrong").status_code == 429
    assert login(second.test_client(), "x", "wrong").status_code == 401

    reset_limits(first)  # what the app fixture does after every test
    assert login(first.test_client(), "x", "wrong").status_code == 401


@pytest.mark.parametrize(
    ("setting", "variable"),
    [
        ("RATELIMIT_LOGIN", "MLAPI_RATELIMIT_LOGIN"),
        ("RATELIMIT_LOGIN_ACCOUNT", "MLAPI_RATELIMIT_LOGIN_ACCOUNT"),
        ("RATELIMIT_PREDICT", "MLAPI_RATELIMIT_PREDICT"),
        ("RATELIMIT_DEFAULT", "MLAPI_RATELIMIT_DEFAULT"),
    ],
)
def test_a_budget_that_is_not_a_rate_limit_stops_the_app_from_starting(
    app_config, setting, variable
):
    with pytest.raises(ConfigError, match=variable):
        create_app({**app_config, setting: "ten a minute"})


def test_the_deprecated_name_of_the_account_budget_is_still_read():
    from mlapi.config import load_config

    old = {"MLAPI_ENV": "testing", "MLAPI_RATELIMIT_LOGIN_FAILURES": "3/minute"}
    assert load_config(environ=old)["RATELIMIT_LOGIN_ACCOUNT"] == "3/minute"
    both = {**old, "MLAPI_RATELIMIT_LOGIN_ACCOUNT": "5/minute"}
    assert load_config(environ=both)["RATELIMIT_LOGIN_ACCOUNT"] == "5/minute"


def test_a_negative_number_of_trusted_proxies_stops_the_app_from_starting(app_config):
    with pytest.raises(ConfigError, match="MLAPI_TRUSTED_PROXIES"):
        create_app({**app_config, "TRUSTED_PROXIES": -1})


def test_the_documented_default_budgets():
    from mlapi.config import BaseConfig, ProductionConfig, TestingConfig

    for profile in (BaseConfig, ProductionConfig):
        assert (
            profile.RATELIMIT_ENABLED,
            profile.RATELIMIT_LOGIN,
            profile.RATELIMIT_LOGIN_ACCOUNT,
            profile.RATELIMIT_PREDICT,
            profile.RATELIMIT_DEFAULT,
            profile.TRUSTED_PROXIES,
        ) == (True, "10/minute", "10/minute", "600/minute", "120/minute", 0)
    # The test profile raises the sign-in budget per address only (every test client is
    # 127.0.0.1); the budgets per user and per account stay as in production.
    assert TestingConfig.RATELIMIT_ENABLED is True
    assert (
        TestingConfig.RATELIMIT_LOGIN_ACCOUNT,
        TestingConfig.RATELIMIT_PREDICT,
        TestingConfig.RATELIMIT_DEFAULT,
    ) == ("10/minute", "600/minute", "120/minute")
