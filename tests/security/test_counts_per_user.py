"""Counts per user: one account cannot multiply itself into
hundreds of API keys (each once had a rate-limit budget of its own) or hundreds of
webhooks (each a delivery to make). Beyond the cap: 409 ``conflict``, saying how to free
a slot.
"""

from datetime import timedelta

from mlapi.auth.models import ApiKey
from mlapi.extensions import db
from mlapi.timeutil import utcnow
from tests.unit.helpers import assert_problem
from tests.unit.webhooks.conftest import create_hook, dns  # noqa: F401

KEYS = "/api/v1/auth/api-keys"
HOOKS = "/api/v1/webhooks"
HOOK_URL = "https://hooks.example.com/mlapi"


def create_key(client, headers, name: str = "job"):
    return client.post(KEYS, json={"name": name}, headers=headers)


def create_keys(client, headers, count: int) -> list[dict]:
    created = []
    for number in range(count):
        response = create_key(client, headers, f"job-{number}")
        assert response.status_code == 201, response.get_json()
        created.append(response.get_json())
    return created


def test_the_21st_live_key_is_refused(client, auth_headers):
    create_keys(client, auth_headers, 20)

    body = assert_problem(create_key(client, auth_headers), 409, "conflict")

    assert "20" in body["detail"]
    assert "delete" in body["detail"].lower()
    assert "expire" in body["detail"]
    listed = client.get(KEYS, query_string={"per_page": 100}, headers=auth_headers)
    assert listed.get_json()["total"] == 20


def test_deleting_a_key_frees_a_slot(client, auth_headers):
    first, *_ = create_keys(client, auth_headers, 20)
    assert create_key(client, auth_headers).status_code == 409

    assert client.delete(f"{KEYS}/{first['id']}", headers=auth_headers).status_code == 204

    assert create_key(client, auth_headers).status_code == 201
    assert create_key(client, auth_headers).status_code == 409


def test_an_expired_key_does_not_count(app, client, auth_headers):
    first, *_ = create_keys(client, auth_headers, 20)
    with app.app_context():
        key = db.session.get(ApiKey, first["id"])
        key.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()

    assert create_key(client, auth_headers).status_code == 201
    assert create_key(client, auth_headers).status_code == 409


def test_a_key_that_has_not_expired_yet_counts(client, auth_headers):
    for number in range(20):
        response = client.post(
            KEYS, json={"name": f"job-{number}", "expires_in_days": 1}, headers=auth_headers
        )
        assert response.status_code == 201

    assert_problem(create_key(client, auth_headers), 409, "conflict")


def test_the_cap_is_per_user(client, auth_headers, make_user, sign_in):
    create_keys(client, auth_headers, 20)
    other = sign_in(make_user()).headers

    assert create_key(client, other).status_code == 201


def test_the_key_cap_is_a_setting(configured_app, request):
    configured_app(MAX_API_KEYS=2)
    client, headers = request.getfixturevalue("client"), request.getfixturevalue("auth_headers")
    create_keys(client, headers, 2)

    body = assert_problem(create_key(client, headers), 409, "conflict")
    assert "2 live API keys" in body["detail"]


def test_the_11th_webhook_is_refused(client, auth_headers, create_hook):  # noqa: F811
    hooks = [create_hook(auth_headers, name=f"hook-{n}") for n in range(10)]

    refused = client.post(
        HOOKS, json={"url": HOOK_URL, "events": ["model.created"]}, headers=auth_headers
    )

    body = assert_problem(refused, 409, "conflict")
    assert "10" in body["detail"]
    assert client.delete(f"{HOOKS}/{hooks[0]['id']}", headers=auth_headers).status_code == 204
    create_hook(auth_headers)


def test_the_webhook_cap_is_per_user_and_a_setting(configured_app, request):
    configured_app(MAX_WEBHOOKS=1)
    create_hook = request.getfixturevalue("create_hook")  # noqa: F811
    make_user, sign_in = request.getfixturevalue("make_user"), request.getfixturevalue("sign_in")
    alice, bob = sign_in(make_user()).headers, sign_in(make_user()).headers
    create_hook(alice)

    create_hook(alice, expect=409)
    create_hook(bob)
