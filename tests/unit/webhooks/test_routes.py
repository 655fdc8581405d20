"""The webhook endpoints: register, list, read, delete, and the deliveries log."""

import pytest

from mlapi.extensions import db
from mlapi.webhooks.models import Webhook
from tests.unit.helpers import assert_problem
from tests.unit.webhooks.conftest import HOOK_URL


def test_registering_shows_the_secret_once(client, create_hook, auth_headers, user):
    body = create_hook(auth_headers, name="team chat", events=["model.created", "model.created"])
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["model.created"]
    assert (body["url"], body["name"], body["owner"]["id"]) == (HOOK_URL, "team chat", user.id)
    again = client.get(f"/api/v1/webhooks/{body['id']}", headers=auth_headers).get_json()
    assert "secret" not in again
    listed = client.get("/api/v1/webhooks", headers=auth_headers).get_json()["items"]
    assert all("secret" not in item for item in listed)


def test_registering_answers_with_the_location(client, dns, auth_headers):
    response = client.post(
        "/api/v1/webhooks",
        json={"url": HOOK_URL, "events": ["model.deleted"]},
        headers=auth_headers,
    )
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/api/v1/webhooks/{response.json['id']}")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": HOOK_URL, "events": ["model.exploded"]}, "events.0"),
        ({"url": HOOK_URL, "events": []}, "events"),
        ({"url": HOOK_URL}, "events"),
        ({"events": ["model.created"]}, "url"),
        ({"url": HOOK_URL, "events": ["model.created"], "name": "x" * 101}, "name"),
        ({"url": HOOK_URL, "events": ["model.created"], "owner_id": 1}, "owner_id"),
        ({"url": "https://x.example.com/" + "a" * 2048, "events": ["model.created"]}, "url"),
        ({"url": "ftp://hooks.example.com/", "events": ["model.created"]}, "url"),
        ({"url": "http://127.0.0.1:8080/", "events": ["model.created"]}, "url"),
        ({"url": "http://169.254.169.254/", "events": ["model.created"]}, "url"),
        ({"url": "http://metadata.google.internal/", "events": ["model.created"]}, "url"),
        ({"url": "https://nowhere.example.com/", "events": ["model.created"]}, "url"),
    ],
)
def test_invalid_hooks_are_refused_naming_the_field(client, dns, auth_headers, body, field):
    response = client.post("/api/v1/webhooks", json=body, headers=auth_headers)
    assert field in assert_problem(response, 422, "validation_error")["errors"]


def test_the_operator_may_allow_private_addresses(app, client, dns, auth_headers):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    dns["receiver.internal"] = ["10.0.0.8"]
    response = client.post(
        "/api/v1/webhooks",
        json={"url": "http://receiver.internal/hook", "events": ["model.created"]},
        headers=auth_headers,
    )
    assert response.status_code == 201, response.get_json()


def test_registering_needs_credentials(client):
    response = client.post("/api/v1/webhooks", json={"url": HOOK_URL, "events": []})
    assert_problem(response, 401, "unauthorized")


def test_the_list_holds_own_hooks_newest_first_paginated(
    client, create_hook, auth_headers, make_user, sign_in
):
    ids = [create_hook(auth_headers)["id"] for _ in range(3)]
    create_hook(sign_in(make_user()).headers)
    page = client.get("/api/v1/webhooks?per_page=2", headers=auth_headers).get_json()
    assert (page["total"], page["pages"], page["page"]) == (3, 2, 1)
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    last = client.get("/api/v1/webhooks?page=2&per_page=2", headers=auth_headers).get_json()
    assert [item["id"] for item in last["items"]] == ids[:1]


def test_an_admin_lists_everyones_hooks_or_only_their_own(
    client, create_hook, auth_headers, admin_headers
):
    theirs = create_hook(auth_headers)["id"]
    own = create_hook(admin_headers)["id"]
    everyone = client.get("/api/v1/webhooks", headers=admin_headers).get_json()["items"]
    assert {item["id"] for item in everyone} == {theirs, own}
    mine = client.get("/api/v1/webhooks?owner=me", headers=admin_headers).get_json()["items"]
    assert [item["id"] for item in mine] == [own]


def test_another_users_hook_is_not_found(client, create_hook, auth_headers, make_user, sign_in):
    hook = create_hook(auth_headers)["id"]
    stranger = sign_in(make_user()).headers
    for method, path in (
        ("GET", f"/api/v1/webhooks/{hook}"),
        ("DELETE", f"/api/v1/webhooks/{hook}"),
        ("GET", f"/api/v1/webhooks/{hook}/deliveries"),
    ):
        assert_problem(client.open(path, method=method, headers=stranger), 404, "not_found")
    assert client.get(f"/api/v1/webhooks/{hook}", headers=auth_headers).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/webhooks/999999", "/api/v1/webhooks/abc", "/api/v1/webhooks/0/deliveries"]
)
def test_a_missing_hook_is_not_found(client, auth_headers, path):
    assert client.get(path, headers=auth_headers).status_code == 404


def test_the_owner_deletes_a_hook(app, client, create_hook, auth_headers):
    hook = create_hook(auth_headers)["id"]
    assert client.delete(f"/api/v1/webhooks/{hook}", headers=auth_headers).status_code == 204
    assert client.get(f"/api/v1/webhooks/{hook}", headers=auth_headers).status_code == 404
    with app.app_context():
        assert db.session.get(Webhook, hook) is None


def test_an_admin_deletes_anyones_hook_and_reads_its_log(
    client, create_hook, auth_headers, admin_headers
):
    hook = create_hook(auth_headers)["id"]
    log = client.get(f"/api/v1/webhooks/{hook}/deliveries", headers=admin_headers)
    assert log.status_code == 200
    assert client.delete(f"/api/v1/webhooks/{hook}", headers=admin_headers).status_code == 204
    assert client.get(f"/api/v1/webhooks/{hook}", headers=auth_headers).status_code == 404


def test_the_deliveries_log_is_paginated(
    receiver, client, create_hook, auth_headers, upload_model, deliver
):
    hook = create_hook(auth_headers)["id"]
    receiver.post(HOOK_URL, status=200)
    for number in range(3):
        upload_model(auth_headers, f"model{number}")
    assert deliver() == {"delivered": 3}
    page = client.get(
        f"/api/v1/webhooks/{hook}/deliveries?per_page=2", headers=auth_headers
    ).get_json()
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 2)
    assert page["items"][0]["id"] > page["items"][1]["id"]
    beyond = client.get(
        f"/api/v1/webhooks/{hook}/deliveries?page=9", headers=auth_headers
    ).get_json()
    assert beyond["items"] == []
    bad = client.get(f"/api/v1/webhooks/{hook}/deliveries?per_page=101", headers=auth_headers)
    assert_problem(bad, 422, "validation_error")


def test_deleting_a_hook_drops_its_queued_deliveries(
    app, client, create_hook, auth_headers, upload_model, deliver, receiver
):
    hook = create_hook(auth_headers)["id"]
    upload_model(auth_headers, "churn")
    client.delete(f"/api/v1/webhooks/{hook}", headers=auth_headers)
    assert deliver() == {}
    assert len(receiver.calls) == 0
