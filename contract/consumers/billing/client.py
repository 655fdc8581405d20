"""Billing's invoicing service. A person signed in as billing-app manages the service's API
keys; the nightly job predicts and reads the history it invoices with one of those keys."""

from dataclasses import dataclass

import requests

TIMEOUT = 5
API = "/api/v1"


class NotOurModel(Exception):
    """403: the model belongs to another team (never invoice it)."""


class NeedsSignIn(Exception):
    """A key was used where mlapi wants a person's token (403), or was refused (401)."""


@dataclass
class NewKey:
    id: int
    prefix: str
    secret: str  # shown once: stored in the job's vault at once
    expires_at: str | None


def _check(resp: requests.Response, forbidden: type[Exception]) -> requests.Response:
    """``forbidden`` is what a 403 means where the call was made."""
    if resp.status_code == 403:
        raise forbidden(resp.json()["detail"])
    if resp.status_code == 401 and resp.json()["code"] == "api_key_invalid":
        raise NeedsSignIn("the job's API key was refused: create a new one")
    resp.raise_for_status()
    return resp


class BillingClient:
    """Signed in with a person's ``access_token``, or as the job with its ``api_key``."""

    def __init__(
        self, base_url: str, *, access_token: str | None = None, api_key: str | None = None
    ):
        self.base_url = base_url
        self.headers = (
            {"X-API-Key": api_key} if api_key else {"Authorization": f"Bearer {access_token}"}
        )

    def _call(
        self, method: str, path: str, forbidden: type[Exception] = NeedsSignIn, **kwargs
    ) -> requests.Response:
        return _check(
            requests.request(
                method,
                f"{self.base_url}{API}{path}",
                headers=self.headers,
                timeout=TIMEOUT,
                **kwargs,
            ),
            forbidden,
        )

    def create_key(self, name: str, days: int) -> NewKey:
        body = self._call(
            "POST", "/auth/api-keys", json={"name": name, "expires_in_days": days}
        ).json()
        return NewKey(body["id"], body["prefix"], body["key"], body["expires_at"])

    def keys(self) -> dict[str, int]:
        """The team's keys by prefix (what the key list in the admin page shows)."""
        return {k["prefix"]: k["id"] for k in self._call("GET", "/auth/api-keys").json()["items"]}

    def revoke_key(self, key_id: int) -> None:
        self._call("DELETE", f"/auth/api-keys/{key_id}")

    def price(self, features: list[float], model_id: int | None = None) -> tuple[int, float]:
        """The prediction that goes on an invoice line: its id and value."""
        path = "/predict" if model_id is None else f"/models/{model_id}/predict"
        body = self._call("POST", path, NotOurModel, json={"features": features}).json()
        return body["prediction_id"], body["prediction"]

    def invoice_lines(self, per_page: int = 100) -> list[tuple[int, str, str]]:
        """(prediction id, model, when) for the first page of the team's history."""
        body = self._call("GET", "/predictions", params={"page": 1, "per_page": per_page}).json()
        return [
            (p["id"], f"{p['model_name']} v{p['model_version']}", p["created_at"])
            for p in body["items"]
        ]
