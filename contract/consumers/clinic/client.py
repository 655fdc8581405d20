"""The clinicians' web app: a clinician signs in, asks the default model about one patient
at a time, and opens a prediction again from the patient's page."""

from dataclasses import dataclass

import requests

TIMEOUT = 5


class SignInFailed(Exception):
    """Wrong username or password: the login form says so."""


class InvalidPatientData(Exception):
    """mlapi refused the patient's values (422): the form shows each field's messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class Tokens:
    access: str
    refresh: str | None
    expires_in: int


@dataclass
class Progression:
    prediction_id: int
    value: float
    model: str


def sign_in(base_url: str, username: str, password: str) -> Tokens:
    resp = requests.post(
        f"{base_url}/api/v1/auth/login",
        timeout=TIMEOUT,
        json={"username": username, "password": password},
    )
    if resp.status_code == 401 and resp.json()["code"] == "invalid_credentials":
        raise SignInFailed(resp.json()["detail"])
    resp.raise_for_status()
    body = resp.json()
    return Tokens(body["access_token"], body["refresh_token"], body["expires_in"])


def refresh(base_url: str, refresh_token: str) -> Tokens:
    """A new access token before the old one's 15 minutes are up."""
    resp = requests.post(
        f"{base_url}/api/v1/auth/refresh",
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {refresh_token}"},
    )
    resp.raise_for_status()
    body = resp.json()
    return Tokens(body["access_token"], refresh_token, body["expires_in"])


class ClinicClient:
    def __init__(self, base_url: str, access_token: str):
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {access_token}"}

    def clinician(self) -> str:
        """The signed-in clinician's username, shown in the page header."""
        resp = requests.get(
            f"{self.base_url}/api/v1/users/me", headers=self.headers, timeout=TIMEOUT
        )
        resp.raise_for_status()
        return resp.json()["username"]

    def progression(self, measurements: list[float]) -> Progression:
        resp = requests.post(
            f"{self.base_url}/api/v1/predict",
            headers=self.headers,
            json={"features": measurements},
            timeout=TIMEOUT,
        )
        if resp.status_code == 422:
            raise InvalidPatientData(resp.json()["errors"])
        resp.raise_for_status()
        body = resp.json()
        return Progression(
            body["prediction_id"],
            body["prediction"],
            f"{body['model_name']} v{body['model_version']}",
        )

    def reopen(self, prediction_id: int) -> dict:
        """A prediction as the patient's page shows it: inputs, answer, outcome if known."""
        resp = requests.get(
            f"{self.base_url}/api/v1/predictions/{prediction_id}",
            headers=self.headers,
            timeout=TIMEOUT,
        )
        resp.raise_for_status()
        body = resp.json()
        return {
            "features": body["features"],
            "prediction": body["prediction"],
            "model": body["model_name"],
            "when": body["created_at"],
            "outcome": body["feedback"],
        }
