"""Admins list accounts, change roles and (de)activate them; one active admin always stays."""

from datetime import datetime

import pytest
from sqlalchemy import update

from mlapi.auth.models import User
from mlapi.extensions import db
from tests.support.users import bearer
from tests.unit.helpers import assert_problem

USERS = "/api/v1/admin/users"
PROFILE = "/api/v1/users/me"


def user_url(user_id: int) -> str:
    return f"{USERS}/{user_id}"


def test_users_are_listed_newest_first_without_the_system_account(
    client, admin, admin_headers, make_user
):
    later = [make_user(f"person{i}") for i in range(3)]

    body = client.get(USERS, headers=admin_headers).get_json()

    assert [u["username"] for u in body["items"]] == [
        *(u.username for u in reversed(later)),
        admin.username,
    ]
    assert (body["total"], body["page"], body["per_page"], body["pages"]) == (4, 1, 20, 1)
    assert all("password" not in key for item in body["items"] for key in item)


def test_users_created_at_the_same_moment_are_ordered_by_id_descending(
    app, client, admin_headers, make_user
):
    ids = [make_user(f"twin{i}").id for i in range(3)]
    with app.app_context():
        db.session.execute(update(User).values(created_at=datetime(2026, 1, 1)))
        db.session.commit()

    items = client.get(USERS, headers=admin_headers).get_json()["items"]

    assert [u["id"] for u in items][:3] == sorted(ids, reverse=True)


def test_users_are_paginated(client, admin_headers, make_user):
    for i in range(4):
        make_user(f"paged{i}")

    second = client.get(f"{USERS}?page=2&per_page=2", headers=admin_headers).get_json()
    past_end = client.get(f"{USERS}?page=9&per_page=2", headers=admin_headers)

    assert [u["username"] for u in second["items"]] == ["paged1", "paged0"]
    assert (second["total"], second["pages"]) == (5, 3)
    assert past_end.status_code == 200
    assert past_end.get_json()["items"] == []


@pytest.mark.parametrize("query", ["page=0", "per_page=0", "per_page=101", "page=x"])
def test_out_of_range_pages_are_refused(client, admin_headers, query):
    assert_problem(client.get(f"{USERS}?{query}", headers=admin_headers), 422, "validation_error")


def test_admin_promotes_a_user_who_can_then_administer_at_once(
    client, admin_headers, user, auth_headers
):
    assert client.get(USERS, headers=auth_headers).status_code == 403

    response = client.patch(user_url(user.id), json={"role": "admin"}, headers=admin_headers)

    assert response.status_code == 200
    assert response.get_json()["role"] == "admin"
    assert client.get(USERS, headers=auth_headers).status_code == 200


def test_deactivation_acts_on_the_users_next_request(client, admin_headers, user, auth_headers):
    assert client.get(PROFILE, headers=auth_headers).status_code == 200

    response = client.patch(user_url(user.id), json={"is_active": False}, headers=admin_headers)

    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    assert_problem(client.get(PROFILE, headers=auth_headers), 401, "account_inactive")


def test_reactivation_does_not_bring_back_the_old_tokens(client, admin_headers, user, auth_headers):
    client.patch(user_url(user.id), json={"is_active": False}, headers=admin_headers)

    response = client.patch(user_url(user.id), json={"is_active": True}, headers=admin_headers)

    assert response.get_json()["is_active"] is True
    assert_problem(client.get(PROFILE, headers=auth_headers), 401, "token_revoked")


@pytest.mark.parametrize(
    "change", [{"role": "user"}, {"is_active": False}, {"role": "user", "is_active": False}]
)
def test_the_last_active_admin_cannot_be_demoted_or_deactivated(
    client, admin, admin_headers, change
):
    body = assert_problem(
        client.patch(user_url(admin.id), json=change, headers=admin_headers), 409, "conflict"
    )

    assert "last active administrator" in body["detail"]
    me = client.get(PROFILE, headers=admin_headers).get_json()
    assert (me["role"], me["is_active"]) == ("admin", True)


def test_an_inactive_admin_does_not_count_as_a_remaining_admin(
    client, admin, admin_headers, make_user
):
    make_user(role="admin", is_active=False)

    assert_problem(
        client.patch(user_url(admin.id), json={"role": "user"}, headers=admin_headers),
        409,
        "conflict",
    )


@pytest.mark.parametrize("change", [{"role": "user"}, {"is_active": False}])
def test_with_a_second_active_admin_the_first_may_step_down(
    client, admin, admin_headers, make_user, sign_in, change
):
    second = make_user(role="admin")

    assert client.patch(user_url(admin.id), json=change, headers=admin_headers).status_code == 200
    assert_problem(
        client.patch(user_url(second.id), json={"role": "user"}, headers=sign_in(second).headers),
        409,
        "conflict",
    )


def test_promoting_or_reactivating_the_last_admin_is_always_allowed(client, admin, admin_headers):
    response = client.patch(
        user_url(admin.id), json={"role": "admin", "is_active": True}, headers=admin_headers
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "root"}, "role"),
        ({"role": "ADMIN"}, "role"),
        ({"is_active": "false"}, "is_active"),
        ({"is_active": 0}, "is_active"),
        ({"is_active": None}, "is_active"),
        ({"username": "mallory"}, "username"),
        ({"password": "new-password-1"}, "password"),
        ({}, "body"),
    ],
)
def test_invalid_changes_are_refused_naming_the_field(client, admin_headers, user, body, field):
    problem = assert_problem(
        client.patch(user_url(user.id), json=body, headers=admin_headers), 422, "validation_error"
    )

    assert field in problem["errors"]


def test_unknown_users_and_the_system_account_are_not_found(app, client, admin_headers):
    with app.app_context():
        system_id = db.session.execute(
            db.select(User.id).where(User.username_key == "mlapi-system")
        ).scalar_one()

    for user_id in (system_id, 999_999):
        assert_problem(
            client.patch(user_url(user_id), json={"is_active": True}, headers=admin_headers),
            404,
            "not_found",
        )


def test_a_deactivated_user_cannot_sign_in_until_reactivated(client, admin_headers, user):
    client.patch(user_url(user.id), json={"is_active": False}, headers=admin_headers)
    credentials = {"username": user.username, "password": user.password}

    assert_problem(client.post("/api/v1/auth/login", json=credentials), 403, "account_inactive")
    client.patch(user_url(user.id), json={"is_active": True}, headers=admin_headers)
    login = client.post("/api/v1/auth/login", json=credentials)
    assert client.get(PROFILE, headers=bearer(login.get_json()["access_token"])).status_code == 200
