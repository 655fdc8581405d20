"""Rate limits with Redis: counts shared by every worker, and no failure when Redis is down.

Uses the machine's Redis at 127.0.0.1:6379: skipped on a laptop where it does not answer,
never in CI (``CI`` set: .ci/run starts Redis first, so a missing one fails); each test's
apps have their own key prefix (tests/support/settings.py), so parallel tests never share counts.
A closed port (6390) stands for a Redis that is down.
"""

from mlapi import create_app
from tests.contract_client import ContractClient
from tests.support.servers import DOWN_REDIS_URL, REDIS_URL, needs_redis
from tests.unit.helpers import assert_problem

LOGIN = "/api/v1/auth/login"


def worker(settings: dict):
    """One more process of the same deployment: its own app, the same settings."""
    app = create_app(settings)
    app.test_client_class = ContractClient
    return app.test_client()


def failed_login(client):
    return client.post(LOGIN, json={"username": "nobody", "password": "wrong"})


@needs_redis
def test_two_workers_share_one_budget(app_config):
    settings = {**app_config, "REDIS_URL": REDIS_URL, "RATELIMIT_LOGIN": "3/minute"}
    first, second = worker(settings), worker(settings)

    assert failed_login(first).status_code == 401
    assert failed_login(second).status_code == 401
    assert failed_login(first).status_code == 401
    refused = failed_login(second)

    assert_problem(refused, 429, "rate_limited")
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert "Retry-After" in refused.headers


@needs_redis
def test_deployments_with_other_key_prefixes_count_apart(app_config):
    settings = {**app_config, "REDIS_URL": REDIS_URL, "RATELIMIT_LOGIN": "1/minute"}
    first = worker(settings)
    other = worker({**settings, "RATELIMIT_KEY_PREFIX": settings["RATELIMIT_KEY_PREFIX"] + "x"})

    assert failed_login(first).status_code == 401
    assert failed_login(first).status_code == 429
    assert failed_login(other).status_code == 401


@needs_redis
def test_failed_sign_ins_are_counted_in_redis(app_config, make_user):
    """The conditional deduction (after the response) goes to Redis too."""
    settings = {
        **app_config,
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_LOGIN": "100/minute",
        "RATELIMIT_LOGIN_ACCOUNT": "1/minute",
    }
    first, second = worker(settings), worker(settings)

    assert first.post(LOGIN, json={"username": "alice", "password": "x"}).status_code == 401
    refused = second.post(LOGIN, json={"username": "ALICE", "password": "x"})
    assert_problem(refused, 429, "rate_limited")


@needs_redis
def test_health_says_the_cache_is_ok_when_redis_answers(configured_app, request):
    configured_app(REDIS_URL=REDIS_URL)
    response = request.getfixturevalue("client").get("/health")

    assert response.status_code == 200
    assert response.get_json()["cache"] == "ok"


def test_health_says_the_cache_is_disabled_without_redis(configured_app, request):
    configured_app(REDIS_URL=None)  # even when the suite runs against Redis
    response = request.getfixturevalue("client").get("/health")

    assert response.status_code == 200
    assert response.get_json()["cache"] == "disabled"


def test_with_redis_down_health_is_200_and_says_the_cache_is_unavailable(configured_app, request):
    configured_app(REDIS_URL=DOWN_REDIS_URL)
    response = request.getfixturevalue("client").get("/health")

    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["database"], body["cache"]) == ("ok", "ok", "unavailable")


def test_with_redis_down_requests_succeed_and_limits_hold_per_process(configured_app, request):
    configured_app(
        REDIS_URL=DOWN_REDIS_URL, RATELIMIT_LOGIN="3/minute", RATELIMIT_DEFAULT="3/minute"
    )
    client = request.getfixturevalue("client")
    user = request.getfixturevalue("user")

    tokens = client.post(LOGIN, json={"username": user.username, "password": user.password})
    assert tokens.status_code == 200
    headers = {"Authorization": f"Bearer {tokens.get_json()['access_token']}"}
    answers = [client.get("/api/v1/users/me", headers=headers) for _ in range(4)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert_problem(answers[-1], 429, "rate_limited")
    assert "Retry-After" in answers[-1].headers
    assert failed_login(client).status_code == 401
    assert failed_login(client).status_code == 401
    assert failed_login(client).status_code == 429  # the fourth sign-in from this address
