"""The billing team's own model, asked by alias in the load test (issue 19).

Before the load starts, the first billing account makes a team of the billing accounts,
uploads two versions of ``churn`` into it and points ``production`` at version 1; the
billing users then ask ``<team>/churn`` by that alias (load/locustfile.py), which resolves
the alias on every request (access cache) before the per-model answer cache.
"""

from __future__ import annotations

from pathlib import Path

import requests

NAME = "churn"
ALIAS = "production"


def _check(response: requests.Response, wanted: int, what: str) -> dict:
    if response.status_code != wanted:
        raise RuntimeError(f"{what}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else {}


def publish(base: str, accounts: list[dict], model: Path) -> str:
    """Make the team model and its alias; the path its users predict with."""
    first = accounts[0]
    signed_in = requests.post(
        f"{base}/api/v1/auth/login",
        json={"username": first["username"], "password": first["password"]},
        timeout=30,
    )
    auth = {"Authorization": f"Bearer {_check(signed_in, 200, 'sign in')['access_token']}"}
    team = f"{first['username'].rsplit('-', 1)[0]}-team"
    created = requests.post(f"{base}/api/v1/teams", json={"name": team}, headers=auth, timeout=30)
    team_id = _check(created, 201, f"create team {team}")["id"]
    for account in accounts[1:]:
        added = requests.put(
            f"{base}/api/v1/teams/{team_id}/members/{account['username']}",
            json={"role": "member"},
            headers=auth,
            timeout=30,
        )
        _check(added, 200, f"add {account['username']} to {team}")
    form = {"name": NAME, "model_type": "sklearn", "team": team}
    for version in (1, 2):
        uploaded = requests.post(
            f"{base}/api/v1/models",
            data=form,
            files={"file": ("churn.skops", model.read_bytes())},
            headers=auth,
            timeout=60,
        )
        _check(uploaded, 201, f"upload {NAME} version {version}")
    path = f"/api/v1/registry/{team}/{NAME}"
    moved = requests.put(
        f"{base}{path}/aliases/{ALIAS}", json={"version": 1}, headers=auth, timeout=30
    )
    _check(moved, 200, f"point {ALIAS} at version 1")
    print(f"== {team}/{NAME}: versions 1 and 2, {ALIAS} -> 1, asked by billing", flush=True)
    return f"{path}/aliases/{ALIAS}/predict"
