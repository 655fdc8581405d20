"""The mobile app's backend: keeps a user's sign-in fresh, predicts on the default model and
sends the outcome the user reports in the app back as feedback."""

from dataclasses import dataclass

import requests

TIMEOUT = 3  # a phone is waiting


class SignInAgain(Exception):
    """The stored sign-in is no longer usable: the app shows the sign-in screen."""


class InvalidFeedback(Exception):
    """mlapi refused the outcome the user typed (422): the app shows the field's message."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class SignIn:
    access_token: str
    refresh_token: str


class MobileBackend:
    def __init__(self, base_url: str, sign_in: SignIn | None = None):
        self.base_url = base_url
        self.sign_in = sign_in

    def _post(self, path: str, token: str, body: dict | None = None) -> requests.Response:
        return requests.post(
            f"{self.base_url}/api/v1{path}",
            json=body,
            timeout=TIMEOUT,
            headers={"Authorization": f"Bearer {token}"},
        )

    def log_in(self, username: str, password: str) -> SignIn:
        resp = requests.post(
            f"{self.base_url}/api/v1/auth/login",
            timeout=TIMEOUT,
            json={"username": username, "password": password},
        )
        resp.raise_for_status()
        body = resp.json()
        self.sign_in = SignIn(body["access_token"], body["refresh_token"])
        return self.sign_in

    def keep_fresh(self) -> str:
        """Trade the refresh token for a new access token; 401 means sign in again."""
        resp = self._post("/auth/refresh", self.sign_in.refresh_token)
        if resp.status_code == 401:
            raise SignInAgain(resp.json()["code"])
        resp.raise_for_status()
        self.sign_in.access_token = resp.json()["access_token"]
        return self.sign_in.access_token

    def predict(self, features: list[float]) -> dict:
        resp = self._post("/predict", self.sign_in.access_token, {"features": features})
        resp.raise_for_status()
        body = resp.json()
        return {"id": body["prediction_id"], "value": body["prediction"], "instant": body["cached"]}

    def report_outcome(self, prediction_id: int, outcome: int, stars: int) -> bool:
        """Send what really happened; True when it replaced an earlier report."""
        resp = self._post(
            f"/predictions/{prediction_id}/feedback",
            self.sign_in.access_token,
            {"actual_value": outcome, "score": stars},
        )
        if resp.status_code == 422:
            raise InvalidFeedback(resp.json()["errors"])
        resp.raise_for_status()
        return resp.status_code == 200

    def log_out(self) -> None:
        self._post("/auth/logout", self.sign_in.access_token).raise_for_status()
        self.sign_in = None
