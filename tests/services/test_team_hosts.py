"""Team membership across hosts (issue 19): a change on one host acts on the other at the
next request, as identities do (docs/storage-and-caching.md).

Two gunicorn hosts on PostgreSQL and Redis (conftest.py); the client is ``requests``.
"""

import uuid

from .conftest import DEFAULT_BUDGET, WORKERS
from .test_two_hosts import Client


def test_a_member_removed_on_one_host_is_refused_on_the_other(host_a, host_b):
    rita, bob = (Client(f"{who}{uuid.uuid4().hex[:8]}") for who in ("rita", "bob"))
    rita.register_and_login(host_a)
    bob.register_and_login(host_b)
    created = host_a.post(
        "/api/v1/teams", json={"name": f"t{uuid.uuid4().hex[:10]}"}, headers=rita.auth
    )
    assert created.status_code == 201, created.text
    team = f"/api/v1/teams/{created.json()['id']}"
    added = host_a.request(
        "PUT", f"{team}/members/{bob.username}", json={"role": "member"}, headers=rita.auth
    )
    assert added.status_code == 200, added.text
    # Bob's requests stay within his budget (DEFAULT_BUDGET a minute, both hosts together);
    # host B answers him before the removal (caching his membership) and after it.
    assert WORKERS + 3 <= DEFAULT_BUDGET
    for _ in range(WORKERS):
        assert host_b.get(team, headers=bob.auth).status_code == 200

    removed = host_a.delete(f"{team}/members/{bob.username}", headers=rita.auth)
    assert removed.status_code == 204, removed.text

    for _ in range(3):
        refused = host_b.get(team, headers=bob.auth)
        assert refused.status_code == 404, refused.text
        assert refused.json()["code"] == "not_found"
