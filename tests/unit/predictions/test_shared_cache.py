"""The shared (Redis) tier of the prediction cache: what one worker computed, another one
answers without calling the model; never an old version's answer; nothing fails when Redis
is down.

Uses the machine's Redis at 127.0.0.1:6379 like tests/unit/test_limits_redis.py: skipped
where it does not answer, never in CI. Each test has its own key prefix; a closed port
(6390) stands for a Redis that is down.
"""

import logging

import pytest
import redis

from mlapi import create_app
from mlapi.extensions import db
from mlapi.predictions import service
from mlapi.predictions.shared_cache import SharedPredictionCache, features_digest
from mlapi.predictions.state import answer_caches
from mlapi.registry.state import loaded_models
from tests.contract_client import ContractClient
from tests.support.servers import DOWN_REDIS_URL, REDIS_URL, needs_redis
from tests.unit.helpers import ROW, expected_predictions, row, spy
from tests.unit.predictions.test_cache import publish_default_version_2

PREDICT = "/api/v1/predict"
BATCH = "/api/v1/batch-predict"


@pytest.fixture
def shared_app(configured_app, redis_prefix):
    """Worker A: the test's app, with the shared tier asked about every model."""
    return configured_app(
        REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=redis_prefix, SHARED_CACHE_MIN_MODEL_MS=0
    )


@pytest.fixture
def other_worker(app_config, shared_app, tmp_path):
    """Worker B: one more process of the same deployment (same settings), cold caches."""
    worker = create_app(
        {**app_config, "SHARED_CACHE_MIN_MODEL_MS": 0, "INSTANCE_PATH": str(tmp_path / "worker-b")}
    )
    worker.test_client_class = ContractClient
    yield worker
    with worker.app_context():
        db.session.remove()
        db.engine.dispose()


def ask(client, headers, features) -> dict:
    response = client.post(PREDICT, json={"features": features}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@needs_redis
def test_another_worker_answers_from_redis_without_calling_the_model(
    shared_app, other_worker, request, model_calls, redis_prefix
):
    headers = request.getfixturevalue("auth_headers")
    computed = ask(shared_app.test_client(), headers, ROW)
    assert computed["cached"] is False
    assert len(model_calls) == 1

    answered = ask(other_worker.test_client(), headers, ROW)

    assert answered["cached"] is True
    assert answered["prediction"] == computed["prediction"]  # exactly: JSON keeps doubles
    assert len(model_calls) == 1
    with other_worker.app_context():
        assert len(loaded_models()) == 0  # B never even loaded the estimator
    [key] = redis.Redis.from_url(REDIS_URL).keys(f"{redis_prefix}:prediction:*")
    assert 0 < redis.Redis.from_url(REDIS_URL).ttl(key) <= 3600


@needs_redis
def test_probabilities_come_back_from_redis_as_they_were(
    shared_app, other_worker, request, model_calls
):
    headers = request.getfixturevalue("auth_headers")
    upload = request.getfixturevalue("upload_model")
    model = upload(headers, "iris", kind="classifier")
    url = f"/api/v1/models/{model['id']}/predict"
    features = [5.1, 3.5, 1.4, 0.2]

    computed = (
        shared_app.test_client().post(url, json={"features": features}, headers=headers).get_json()
    )
    answered = (
        other_worker.test_client()
        .post(url, json={"features": features}, headers=headers)
        .get_json()
    )

    assert answered["cached"] is True
    assert (answered["prediction"], answered["probabilities"]) == (
        computed["prediction"],
        computed["probabilities"],
    )
    assert len(model_calls) == 1


@needs_redis
def test_batch_asks_the_model_only_about_what_neither_tier_has(
    shared_app, other_worker, request, model_calls
):
    headers = request.getfixturevalue("auth_headers")
    ask(shared_app.test_client(), headers, ROW)
    model_calls.clear()
    samples = [row(0.01), ROW]

    response = (
        other_worker.test_client()
        .post(BATCH, json={"samples": samples}, headers=headers)
        .get_json()
    )

    assert model_calls == [[tuple(row(0.01))]]
    assert response["predictions"] == pytest.approx(expected_predictions(samples), rel=1e-9)


@needs_redis
def test_a_new_version_never_gets_the_old_versions_answer_from_redis(
    shared_app, other_worker, request, model_calls
):
    headers = request.getfixturevalue("auth_headers")
    old = ask(shared_app.test_client(), headers, ROW)

    publish_default_version_2(shared_app)
    new = ask(other_worker.test_client(), headers, ROW)

    assert (new["model_version"], new["cached"]) == (2, False)
    assert new["prediction"] == pytest.approx(2 * old["prediction"], rel=1e-9)
    assert len(model_calls) == 2


def test_with_redis_down_predictions_succeed_and_health_says_unavailable(
    configured_app, request, model_calls, caplog
):
    app = configured_app(REDIS_URL=DOWN_REDIS_URL, SHARED_CACHE_MIN_MODEL_MS=0)
    client, headers = app.test_client(), request.getfixturevalue("auth_headers")

    with caplog.at_level(logging.WARNING, logger="mlapi.predictions"):
        first = ask(client, headers, ROW)
        again = ask(client, headers, ROW)
        other = ask(client, headers, row(0.01))

    assert (first["cached"], again["cached"], other["cached"]) == (False, True, False)
    assert first["prediction"] == pytest.approx(expected_predictions([ROW])[0])
    assert len(model_calls) == 2
    outage = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outage) == 1  # once per outage, not once per request
    health = client.get("/health")
    assert health.status_code == 200
    assert health.get_json()["cache"] == "unavailable"


def test_while_redis_is_down_it_is_not_asked_again_until_the_retry_is_due(
    configured_app, request, caplog, monkeypatch
):
    app = configured_app(REDIS_URL=DOWN_REDIS_URL, SHARED_CACHE_MIN_MODEL_MS=0)
    client, headers = app.test_client(), request.getfixturevalue("auth_headers")
    with app.app_context():
        shared = answer_caches().shared
    attempts = spy(monkeypatch, shared, "_redis")
    with caplog.at_level(logging.WARNING, logger="mlapi.predictions"):
        ask(client, headers, row(0.1))  # lookup fails: Redis is marked down
        ask(client, headers, row(0.2))
        ask(client, headers, row(0.3))
        assert len(attempts) == 1

        shared._retry_at = 0.0  # the retry is due: one more try, still down
        ask(client, headers, row(0.4))

    assert len(attempts) == 2
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1


@needs_redis
@pytest.mark.parametrize(("min_model_ms", "stored"), [(0, 2), (1000, 1)])
def test_only_models_slower_than_the_bar_are_asked_about_after_their_first_call(
    configured_app, redis_prefix, request, min_model_ms, stored
):
    """The default model answers in well under a second: with the bar at 1000 ms only its
    first, not yet measured call goes through Redis; with no bar every answer is shared."""
    app = configured_app(
        REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=redis_prefix, SHARED_CACHE_MIN_MODEL_MS=min_model_ms
    )
    client, headers = app.test_client(), request.getfixturevalue("auth_headers")

    ask(client, headers, row(0.1))
    ask(client, headers, row(0.2))

    assert len(redis.Redis.from_url(REDIS_URL).keys(f"{redis_prefix}:prediction:*")) == stored


MODEL = type("Model", (), {"id": 1, "version": 1, "sha256": "ab" * 32})()


@pytest.mark.parametrize(
    ("calls_ms", "worth_asking"),
    [([], True), ([0.2], False), ([5.0], True), ([5.0, 0.1], True), ([5.0] + [0.1] * 20, False)],
)
def test_a_models_moving_average_decides_whether_the_shared_tier_is_asked(calls_ms, worth_asking):
    cache = SharedPredictionCache(REDIS_URL, "p", 60, min_model_ms=1.0)
    for milliseconds in calls_ms:
        cache.note_inference(MODEL, milliseconds)
    assert cache.worth_asking(MODEL) is worth_asking


@pytest.mark.parametrize(
    ("model_ms", "round_trips_ms", "worth_asking"),
    [
        (0.3, [], True),  # above the bar, Redis not measured yet
        (0.3, [0.5], False),  # a miss costs two 0.5 ms round trips: more than the model
        (0.3, [0.1, 0.1], True),
        (2.0, [0.5], True),
        (0.3, [5.0] + [0.1] * 30, True),  # the round trip's moving average follows the host
    ],
)
def test_a_model_faster_than_a_miss_in_redis_is_not_asked_about_whatever_the_bar(
    model_ms, round_trips_ms, worth_asking
):
    cache = SharedPredictionCache(REDIS_URL, "p", 60, min_model_ms=0.1)
    cache.note_inference(MODEL, model_ms)
    for milliseconds in round_trips_ms:
        cache.note_round_trip(milliseconds)
    assert cache.worth_asking(MODEL) is worth_asking


class Clock:
    """A clock that advances ``step`` seconds each time it is read."""

    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_under_load_a_fast_model_is_still_not_asked_about(configured_app, request, monkeypatch):
    """A busy host: every call of the default model (a linear regression) takes 50 ms of
    wall-clock time, waiting for a core, and 0.05 ms of CPU. Its wall-clock time is far
    above the 1 ms bar, its work is not: after its first call Redis is never asked again."""
    app = configured_app(REDIS_URL=DOWN_REDIS_URL, SHARED_CACHE_MIN_MODEL_MS=1.0)
    client, headers = app.test_client(), request.getfixturevalue("auth_headers")
    with app.app_context():
        shared = answer_caches().shared
    asked = spy(monkeypatch, shared, "get_many", lambda _model, _user_id, rows: len(rows))
    monkeypatch.setattr(service, "perf_counter", Clock(0.050))
    monkeypatch.setattr(service, "thread_time", Clock(0.000_05))

    for i in range(5):
        ask(client, headers, row(i / 10))
    client.post(BATCH, json={"samples": [row(1.0), row(1.1)]}, headers=headers)

    assert asked == [1]  # the first call only: not measured yet


def test_without_redis_there_is_no_shared_tier(configured_app):
    app = configured_app(REDIS_URL=None)  # MLAPI_TEST_REDIS_URL may give every app one
    with app.app_context():
        assert answer_caches().shared is None


def test_features_digest_is_exact():
    assert features_digest([1, 2]) == features_digest([1.0, 2.0])
    assert features_digest([0.1 + 0.2]) != features_digest([0.3])
    assert features_digest([1.0]) != features_digest([1.0, 0.0])
    assert features_digest([10**400]) is None  # not a double: no shared entry


def test_keys_carry_model_version_artifact_and_user():
    cache = SharedPredictionCache(REDIS_URL, "p", 60)

    class Model:
        id, version, sha256 = 7, 3, "ab" * 32

    key = cache.key(Model, 42, ROW)
    assert key.startswith(f"p:prediction:7:3:{'ab' * 8}:u42:")
    assert cache.key(Model, 43, ROW) != key
    Model.version = 4
    assert cache.key(Model, 42, ROW) != key
