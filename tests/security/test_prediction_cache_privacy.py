"""``cached: true`` never tells a caller that another user sent the same features (issue 14,
item 9).

Found by the outside test: the prediction cache was shared by every caller, so Bob sending
the features he guessed Alice sent, and getting ``cached: true``, learnt that she had. The
cache is now partitioned by user: shared by all of one user's sessions and API keys, in the
process cache and in the shared Redis tier alike.
"""

import pytest

from mlapi import create_app
from mlapi.extensions import db
from tests.contract_client import ContractClient
from tests.support.servers import REDIS_URL, needs_redis
from tests.unit.helpers import ROW

PREDICT = "/api/v1/predict"
BATCH = "/api/v1/batch-predict"


@pytest.fixture
def alice(make_user, sign_in) -> dict:
    return sign_in(make_user("alice")).headers


@pytest.fixture
def bob(make_user, sign_in) -> dict:
    return sign_in(make_user("bob")).headers


def key_of(client, headers) -> dict:
    """The headers of a new API key of the holder of ``headers``."""
    response = client.post("/api/v1/auth/api-keys", json={"name": "job"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return {"X-API-Key": response.get_json()["key"]}


def cached(client, headers, features=ROW, path=PREDICT) -> bool:
    response = client.post(path, json={"features": features}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["cached"]


def test_another_users_identical_input_is_not_reported_as_cached(client, alice, bob):
    alice_key = key_of(client, alice)

    assert cached(client, alice) is False
    assert cached(client, bob) is False
    assert cached(client, alice) is True
    assert cached(client, alice_key) is True  # the user's keys share the user's cache


def test_a_batch_does_not_reveal_another_users_input(client, alice, bob):
    cached(client, alice)

    response = client.post(BATCH, json={"samples": [ROW]}, headers=bob)

    assert response.status_code == 200
    history = client.get("/api/v1/predictions", headers=bob).get_json()["items"]
    assert [item["cached"] for item in history] == [False]


def test_on_a_public_model_too(client, alice, bob, upload_model):
    model = upload_model(alice, "iris", kind="classifier", visibility="public")
    path = f"/api/v1/models/{model['id']}/predict"
    features = [5.1, 3.5, 1.4, 0.2]

    assert cached(client, alice, features, path) is False
    assert cached(client, bob, features, path) is False
    assert cached(client, bob, features, path) is True


@pytest.fixture
def two_workers(configured_app, app_config, redis_prefix, tmp_path):
    """Two processes of one deployment sharing Redis, each with its own cold process cache,
    and the shared tier asked about every model."""
    first = configured_app(
        REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=redis_prefix, SHARED_CACHE_MIN_MODEL_MS=0
    )
    second = create_app({**app_config, "INSTANCE_PATH": str(tmp_path / "worker-b")})
    second.test_client_class = ContractClient
    yield first.test_client(), second.test_client()
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


@needs_redis
def test_the_shared_redis_tier_is_partitioned_by_user_too(two_workers, request):
    worker_a, worker_b = two_workers
    alice = request.getfixturevalue("alice")
    bob = request.getfixturevalue("bob")
    alice_key = key_of(worker_a, alice)

    assert cached(worker_a, alice) is False
    assert cached(worker_b, bob) is False  # B's process cache is cold: only Redis could say
    assert cached(worker_b, alice_key) is True  # Alice's own answer, from Redis
