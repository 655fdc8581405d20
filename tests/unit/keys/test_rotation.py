"""Rotating an API key: a new key takes the old one's place, and the old one keeps working
for a grace period the owner chooses, so a script can switch without stopping.

Time is the ``clock`` fixture's (freezegun): it stands still until a test moves it."""

from datetime import datetime, timedelta

import pytest

from mlapi.auth.models import ApiKey
from mlapi.extensions import db
from mlapi.keys import service
from mlapi.timeutil import utcnow
from tests.support.audit import secrets_in_audit_details
from tests.unit.helpers import assert_problem
from tests.unit.keys.conftest import KEYS

ME = "/api/v1/users/me"


def rotate_url(key: dict) -> str:
    return f"{KEYS}/{key['id']}/rotate"


def with_key(key: dict) -> dict[str, str]:
    return {"X-API-Key": key["key"]}


def moment(value: str | None) -> datetime | None:
    """An answer's timestamp as the naive UTC the service stores."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=None)


@pytest.fixture
def rotate(client, auth_headers):
    """Rotate a key through the API; the new key (secret included) when that succeeds."""

    def rotate(key: dict, **body) -> dict:
        response = client.post(rotate_url(key), json=body, headers=auth_headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return rotate


def test_the_old_key_works_through_its_grace_period_then_is_refused(
    client, create_key, rotate, clock
):
    old = create_key()
    new = rotate(old, grace_seconds=60)

    clock.tick(59)
    assert client.get(ME, headers=with_key(old)).status_code == 200
    assert client.get(ME, headers=with_key(new)).status_code == 200
    clock.tick(2)
    body = assert_problem(client.get(ME, headers=with_key(old)), 401, "api_key_invalid")
    assert "replaced" in body["detail"]
    assert client.get(ME, headers=with_key(new)).status_code == 200


@pytest.mark.parametrize(
    "send", [{}, {"json": {}}, {"json": {"grace_seconds": 0}}], ids=["no body", "{}", "0"]
)
def test_without_a_grace_period_the_old_key_is_refused_at_once(
    client, create_key, auth_headers, clock, send
):
    old = create_key()
    response = client.post(rotate_url(old), headers=auth_headers, **send)

    assert response.status_code == 201, response.get_json()
    assert_problem(client.get(ME, headers=with_key(old)), 401, "api_key_invalid")
    assert client.get(ME, headers=with_key(response.get_json())).status_code == 200


def test_the_new_key_keeps_the_name_and_expiry_and_both_are_listed(
    client, create_key, rotate, auth_headers, clock
):
    old = create_key(name="nightly", expires_in_days=30)
    new = rotate(old, grace_seconds=3600)

    assert new["id"] != old["id"]
    assert (new["name"], new["expires_at"]) == ("nightly", old["expires_at"])
    assert new["prefix"] != old["prefix"]
    assert new["replaced_by_id"] is None
    listed = {k["id"]: k for k in client.get(KEYS, headers=auth_headers).get_json()["items"]}
    assert set(listed) == {old["id"], new["id"]}
    assert listed[old["id"]]["replaced_by_id"] == new["id"]
    assert moment(listed[old["id"]]["expires_at"]) == utcnow() + timedelta(hours=1)
    assert listed[new["id"]]["expires_at"] == old["expires_at"]


def test_a_grace_period_never_outlasts_the_keys_own_expiry(app, client, create_key, rotate, clock):
    old = create_key(expires_in_days=1)
    ends = utcnow() + timedelta(minutes=10)
    with app.app_context():
        db.session.get(ApiKey, old["id"]).expires_at = ends
        db.session.commit()

    new = rotate(old, grace_seconds=3600)

    assert moment(new["expires_at"]) == ends  # the new key keeps the old one's expiry
    clock.tick(10 * 60)
    assert_problem(client.get(ME, headers=with_key(old)), 401, "api_key_invalid")


def test_rotation_is_allowed_at_the_cap(app, client, create_key, rotate, monkeypatch, clock):
    monkeypatch.setitem(app.config, "MAX_API_KEYS", 3)
    held = [create_key(name=f"job-{n}") for n in range(3)]

    new = rotate(held[0], grace_seconds=60)

    for key in (held[0], new):
        assert client.get(ME, headers=with_key(key)).status_code == 200


def test_a_key_in_its_grace_period_counts_against_the_cap_until_it_ends(
    app, client, create_key, rotate, auth_headers, monkeypatch, clock
):
    monkeypatch.setitem(app.config, "MAX_API_KEYS", 3)
    held = [create_key(name=f"job-{n}") for n in range(2)]
    rotate(held[0], grace_seconds=60)

    one_more = {"name": "one-more"}
    assert_problem(client.post(KEYS, json=one_more, headers=auth_headers), 409, "conflict")
    clock.tick(61)
    assert client.post(KEYS, json=one_more, headers=auth_headers).status_code == 201


def test_a_key_is_rotated_once_its_successor_may_be_rotated_next(
    client, create_key, rotate, auth_headers, clock
):
    old = create_key()
    new = rotate(old, grace_seconds=60)

    in_grace = assert_problem(client.post(rotate_url(old), headers=auth_headers), 409, "conflict")
    assert "already rotated" in in_grace["detail"]
    clock.tick(61)
    assert_problem(client.post(rotate_url(old), headers=auth_headers), 409, "conflict")
    assert client.post(rotate_url(new), headers=auth_headers).status_code == 201


def test_an_expired_key_cannot_be_rotated(app, client, create_key, auth_headers):
    old = create_key(expires_in_days=1)
    with app.app_context():
        db.session.get(ApiKey, old["id"]).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()

    body = assert_problem(client.post(rotate_url(old), headers=auth_headers), 409, "conflict")
    assert "expired" in body["detail"]
    assert client.get(KEYS, headers=auth_headers).get_json()["total"] == 1


@pytest.mark.parametrize("who", ["another user", "an admin"])
def test_nobody_else_can_rotate_a_key_admins_included(
    client, create_key, auth_headers, make_user, sign_in, admin_headers, who
):
    old = create_key()
    headers = admin_headers if who == "an admin" else sign_in(make_user()).headers

    assert_problem(client.post(rotate_url(old), headers=headers), 404, "not_found")
    assert client.get(ME, headers=with_key(old)).status_code == 200
    listed = client.get(KEYS, headers=auth_headers).get_json()["items"]
    assert [(k["id"], k["replaced_by_id"]) for k in listed] == [(old["id"], None)]


def test_a_missing_key_is_not_found(client, auth_headers):
    assert_problem(client.post(f"{KEYS}/999999/rotate", headers=auth_headers), 404, "not_found")


def test_a_key_cannot_rotate_keys(client, create_key):
    old = create_key()
    body = assert_problem(client.post(rotate_url(old), headers=with_key(old)), 403, "forbidden")
    assert "sign in" in body["detail"]


@pytest.mark.parametrize("grace", [-1, 86401, "60", 1.5, True, None])
def test_the_grace_period_must_be_whole_seconds_up_to_a_day(
    client, create_key, auth_headers, grace
):
    old = create_key()
    response = client.post(rotate_url(old), json={"grace_seconds": grace}, headers=auth_headers)

    body = assert_problem(response, 422, "validation_error")
    assert set(body["errors"]) == {"grace_seconds"}
    assert client.get(ME, headers=with_key(old)).status_code == 200


def test_an_unknown_field_is_refused(client, create_key, auth_headers):
    old = create_key()
    response = client.post(rotate_url(old), json={"name": "renamed"}, headers=auth_headers)
    assert set(assert_problem(response, 422, "validation_error")["errors"]) == {"name"}


def test_a_prefix_collision_during_a_rotation_is_retried_with_a_fresh_key(
    client, create_key, auth_headers, monkeypatch
):
    taken = create_key(name="other")
    old = create_key(name="nightly")
    minted = iter(
        [
            (taken["prefix"], f"{taken['prefix']}_collides"),
            ("mlapi_bbbbbbbbbbbb", "mlapi_bbbbbbbbbbbb_fresh-secret"),
        ]
    )
    monkeypatch.setattr(service, "_new_key", lambda: next(minted))

    response = client.post(rotate_url(old), json={"grace_seconds": 60}, headers=auth_headers)

    assert response.status_code == 201, response.get_json()
    new = response.get_json()
    assert (new["prefix"], new["name"]) == ("mlapi_bbbbbbbbbbbb", "nightly")
    listed = {k["id"]: k for k in client.get(KEYS, headers=auth_headers).get_json()["items"]}
    assert set(listed) == {taken["id"], old["id"], new["id"]}
    assert listed[old["id"]]["replaced_by_id"] == new["id"]


def test_the_rotation_is_recorded_against_the_old_key(
    create_key, rotate, audit_events, user, clock
):
    old = create_key(name="nightly")
    new = rotate(old, grace_seconds=600)

    (event,) = audit_events(action="api_key.rotated")
    assert event["target"] == {"type": "api_key", "id": old["id"]}
    assert event["actor"]["id"] == user.id
    assert event["details"] == {
        "name": "nightly",
        "prefix": old["prefix"],
        "grace_seconds": 600,
        "new_key_id": new["id"],
    }


def test_no_secret_reaches_the_logs_or_the_audit_log(
    app, client, create_key, rotate, caplog, clock
):
    old = create_key()
    new = rotate(old, grace_seconds=60)
    client.get(ME, headers=with_key(old))
    client.get(ME, headers=with_key(new))
    clock.tick(61)
    client.get(ME, headers=with_key(old))

    assert caplog.records, "the requests were logged"
    for secret in (old["key"], new["key"]):
        assert secret not in caplog.text
    assert secrets_in_audit_details(app) == []


def test_a_host_that_cached_the_old_key_learns_its_grace_end(
    client, other_host, create_key, auth_headers, clock
):
    """The rotation is made on another host: this one's cached snapshot of the old key
    (no expiry) is replaced, so the key is refused once the grace period is over."""
    old = create_key()
    for _ in range(2):
        assert client.get(ME, headers=with_key(old)).status_code == 200
    rotated = other_host.post(rotate_url(old), json={"grace_seconds": 30}, headers=auth_headers)
    assert rotated.status_code == 201, rotated.get_json()

    assert client.get(ME, headers=with_key(old)).status_code == 200
    clock.tick(31)
    assert_problem(client.get(ME, headers=with_key(old)), 401, "api_key_invalid")
