"""Every admin operation, taken from the URL map, refuses anyone who is not an admin."""

import pytest

from mlapi.auth.models import User
from mlapi.extensions import db
from tests.unit.helpers import assert_problem

ADMIN_PREFIX = "/api/v1/admin"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def admin_operations(app) -> list[tuple[str, str]]:
    """(method, path) of every admin rule, path parameters filled with 1."""
    operations = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(ADMIN_PREFIX):
            continue
        path = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]
        operations += [(method, path) for method in sorted(rule.methods - IGNORED_METHODS)]
    return operations


def test_the_admin_area_has_its_five_operations(app):
    assert sorted(admin_operations(app)) == [
        ("GET", "/api/v1/admin/audit"),
        ("GET", "/api/v1/admin/stats"),
        ("GET", "/api/v1/admin/users"),
        ("PATCH", "/api/v1/admin/users/1"),
        ("PUT", "/api/v1/admin/default-model"),
    ]


@pytest.mark.parametrize("who", ["user", "inactive admin", "anonymous"])
def test_every_admin_operation_refuses_non_admins(app, client, make_user, sign_in, who):
    headers = {}
    if who == "user":
        headers = sign_in(make_user()).headers
    elif who == "inactive admin":
        caller = make_user(role="admin")
        headers = sign_in(caller).headers
        make_user(role="admin")  # so that deactivating the caller is allowed
        with app.app_context():
            db.session.get(User, caller.id).is_active = False
            db.session.commit()
    expected = {
        "user": (403, "forbidden"),
        "inactive admin": (401, "account_inactive"),
        "anonymous": (401, "unauthorized"),
    }[who]

    for method, path in admin_operations(app):
        body = {"json": {}} if method in {"PATCH", "PUT"} else {}
        assert_problem(client.open(path, method=method, headers=headers, **body), *expected)


def test_the_guard_comes_before_body_validation(client, auth_headers):
    response = client.put(
        f"{ADMIN_PREFIX}/default-model", json={"model_id": "nope"}, headers=auth_headers
    )

    assert_problem(response, 403, "forbidden")
