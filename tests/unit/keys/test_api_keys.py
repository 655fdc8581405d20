"""API keys through the API: creation, use, listing, deletion, and what a key may not do."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from mlapi.access_cache import AccessCache
from mlapi.auth.models import ApiKey
from mlapi.extensions import db
from mlapi.keys import service
from mlapi.timeutil import utcnow
from tests.unit.helpers import ROW, assert_problem

KEYS = "/api/v1/auth/api-keys"


def key_headers(created: dict) -> dict[str, str]:
    return {"X-API-Key": created["key"]}


def stored(app, key_id: int) -> ApiKey | None:
    with app.app_context():
        key = db.session.get(ApiKey, key_id)
        if key is not None:
            db.session.expunge(key)
        return key


def test_a_new_key_is_shown_once_with_its_public_prefix(create_key, user, client):
    created = create_key(expires_in_days=30)
    assert set(created) == {
        "id",
        "name",
        "prefix",
        "key",
        "created_at",
        "expires_at",
        "last_used_at",
        "replaced_by_id",
    }
    assert created["replaced_by_id"] is None
    assert created["key"].startswith(created["prefix"] + "_")
    assert created["prefix"].startswith("mlapi_")
    assert len(created["prefix"]) == 18
    assert created["last_used_at"] is None
    me = client.get("/api/v1/users/me", headers=key_headers(created))
    assert me.status_code == 200
    assert me.get_json()["id"] == user.id


def test_only_a_digest_of_the_secret_is_stored(app, create_key, app_config):
    created = create_key()
    row = stored(app, created["id"])
    assert row.secret_hash == service.digest(created["key"]) != created["key"]
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        if db.engine.dialect.name == "postgresql":  # every column of every key, as text
            stored_text = db.session.execute(
                text("SELECT coalesce(string_agg(row_to_json(k)::text, ''), '') FROM api_keys k")
            ).scalar_one()
            assert created["key"] not in stored_text
            return
        db.engine.dispose()  # flush SQLite's write-ahead log into the file
    assert created["key"].encode() not in Path(url.removeprefix("sqlite:///")).read_bytes()


def test_expiry_is_counted_from_creation(app, create_key):
    before = utcnow()
    created = create_key(expires_in_days=7)
    after = utcnow()

    row = stored(app, created["id"])
    assert before <= row.created_at <= after
    assert before + timedelta(days=7) <= row.expires_at <= after + timedelta(days=7)


def test_the_list_holds_only_the_callers_keys_without_secrets(
    client, create_key, auth_headers, make_user, sign_in
):
    mine = [create_key(name=f"job-{n}") for n in range(3)]
    create_key(headers=sign_in(make_user()).headers, name="someone-elses")
    body = client.get(f"{KEYS}?per_page=2", headers=auth_headers).get_json()
    assert (body["total"], body["pages"], body["per_page"]) == (3, 2, 2)
    assert [item["id"] for item in body["items"]] == [mine[2]["id"], mine[1]["id"]]
    assert all("key" not in item and "secret_hash" not in item for item in body["items"])


def test_a_key_acts_as_its_owner_for_models_and_predictions(client, create_key, user, upload_model):
    headers = key_headers(create_key())
    record = upload_model(headers, "keyed")
    assert record["owner"] == {"id": user.id, "username": user.username}
    answer = client.post(
        f"/api/v1/models/{record['id']}/predict", json={"features": ROW}, headers=headers
    )
    assert answer.status_code == 200, answer.get_json()


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not-a-key",
        "mlapi_",
        "mlapi_0123456789ab",
        "mlapi_0123456789ab_",
        "mlapi_short_secret",
        "other_0123456789ab_secret",
        "mlapi_0123456789ab_unknown-secret",
    ],
)
def test_a_malformed_or_unknown_key_is_refused(client, raw):
    response = client.get("/api/v1/users/me", headers={"X-API-Key": raw})
    assert_problem(response, 401, "api_key_invalid")


def test_a_known_prefix_with_the_wrong_secret_is_refused(client, create_key):
    created = create_key()
    forged = f"{created['prefix']}_{'A' * 43}"
    assert_problem(
        client.get("/api/v1/users/me", headers={"X-API-Key": forged}), 401, "api_key_invalid"
    )


def test_an_expired_key_is_refused_saying_so(app, client, create_key):
    created = create_key(expires_in_days=1)
    with app.app_context():
        db.session.get(ApiKey, created["id"]).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    body = assert_problem(
        client.get("/api/v1/users/me", headers=key_headers(created)), 401, "api_key_invalid"
    )
    assert "expired" in body["detail"]


def test_a_deactivated_owners_key_is_refused(app, client, create_key, user, admin_headers):
    created = create_key()
    client.patch(f"/api/v1/admin/users/{user.id}", json={"is_active": False}, headers=admin_headers)
    assert_problem(
        client.get("/api/v1/users/me", headers=key_headers(created)), 401, "account_inactive"
    )


def test_a_deleted_key_stops_working_at_once(client, create_key, auth_headers):
    created = create_key()
    assert client.delete(f"{KEYS}/{created['id']}", headers=auth_headers).status_code == 204
    assert_problem(
        client.get("/api/v1/users/me", headers=key_headers(created)), 401, "api_key_invalid"
    )
    assert_problem(client.delete(f"{KEYS}/{created['id']}", headers=auth_headers), 404, "not_found")


def test_another_users_key_is_not_found_but_an_admin_may_delete_it(
    client, create_key, make_user, sign_in, admin_headers
):
    created = create_key()
    stranger = sign_in(make_user()).headers
    assert_problem(client.delete(f"{KEYS}/{created['id']}", headers=stranger), 404, "not_found")
    assert client.get("/api/v1/users/me", headers=key_headers(created)).status_code == 200
    assert client.delete(f"{KEYS}/{created['id']}", headers=admin_headers).status_code == 204
    assert_problem(
        client.get("/api/v1/users/me", headers=key_headers(created)), 401, "api_key_invalid"
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", KEYS, {"name": "more"}),
        ("GET", KEYS, None),
        ("DELETE", f"{KEYS}/1", None),
        ("POST", "/api/v1/auth/logout", None),
        ("POST", "/api/v1/auth/refresh", None),
    ],
)
def test_a_key_cannot_manage_sessions_or_keys(client, create_key, method, path, body):
    response = client.open(path, method=method, json=body, headers=key_headers(create_key()))
    assert_problem(response, 403, "forbidden")


def test_an_invalid_key_on_a_session_only_endpoint_is_still_a_401(client):
    response = client.get(KEYS, headers={"X-API-Key": "mlapi_0123456789ab_nope"})
    assert_problem(response, 401, "api_key_invalid")


def test_a_key_and_a_token_together_are_refused(client, create_key, auth_headers):
    headers = {**auth_headers, **key_headers(create_key())}
    body = assert_problem(client.get("/api/v1/users/me", headers=headers), 401, "token_invalid")
    assert "not both" in body["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x" * 101},
        {"name": "job", "expires_in_days": 0},
        {"name": "job", "expires_in_days": 3651},
        {"name": "job", "expires_in_days": "soon"},
        {"name": "job", "owner_id": 1},
        {"name": "job", "prefix": "mlapi_000000000000"},
    ],
)
def test_key_requests_are_validated(client, auth_headers, body):
    assert_problem(client.post(KEYS, json=body, headers=auth_headers), 422, "validation_error")


def test_last_use_is_recorded_at_most_once_a_minute(app, client, create_key):
    created = create_key()
    assert stored(app, created["id"]).last_used_at is None
    before = utcnow()
    client.get("/api/v1/users/me", headers=key_headers(created))
    first = stored(app, created["id"]).last_used_at
    assert before <= first <= utcnow()  # the moment of that request
    client.get("/api/v1/users/me", headers=key_headers(created))
    assert stored(app, created["id"]).last_used_at == first
    with app.app_context():
        db.session.get(ApiKey, created["id"]).last_used_at = first - timedelta(minutes=2)
        db.session.commit()
    app.extensions["mlapi.access_cache"] = AccessCache()  # as a worker that never saw it
    before = utcnow()
    client.get("/api/v1/users/me", headers=key_headers(created))
    assert before <= stored(app, created["id"]).last_used_at <= utcnow()


def test_a_prefix_collision_is_retried_with_a_fresh_key(app, user, monkeypatch):
    minted = iter(
        [
            ("mlapi_aaaaaaaaaaaa", "mlapi_aaaaaaaaaaaa_first"),
            ("mlapi_aaaaaaaaaaaa", "mlapi_aaaaaaaaaaaa_second"),
            ("mlapi_bbbbbbbbbbbb", "mlapi_bbbbbbbbbbbb_third"),
        ]
    )
    monkeypatch.setattr(service, "_new_key", lambda: next(minted))
    with app.app_context():
        owner = db.session.get(service.User, user.id)
        service.create_key(owner, "one")
        key, raw = service.create_key(owner, "two")
        assert (key.prefix, raw) == ("mlapi_bbbbbbbbbbbb", "mlapi_bbbbbbbbbbbb_third")
        prefixes = db.session.execute(select(ApiKey.prefix)).scalars().all()
        assert sorted(prefixes) == ["mlapi_aaaaaaaaaaaa", "mlapi_bbbbbbbbbbbb"]
