"""The research group's analysis scripts: batches of study participants, by position on
the default model or by feature name on the group's own model, and their history."""

from collections.abc import Iterator

import requests

TIMEOUT = 10


class ModelGone(Exception):
    """The model id the notebook remembers no longer exists (deleted, or a typo)."""


class UnknownMeasurement(Exception):
    """The model does not take a measurement the study sent (422 on ``features``)."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


class ResearchClient:
    def __init__(self, base_url: str, access_token: str):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {access_token}"

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        resp = self.session.request(
            method, f"{self.base_url}/api/v1{path}", timeout=TIMEOUT, **kwargs
        )
        if resp.status_code == 404 and resp.json()["code"] == "not_found":
            raise ModelGone(resp.json()["detail"])
        return resp

    def score_cohort(self, rows: list[list[float]]) -> list[float]:
        """One answer per participant, from the default model, in the rows' order."""
        resp = self._call("POST", "/batch-predict", json={"samples": rows})
        resp.raise_for_status()
        return resp.json()["predictions"]

    def classify(self, model_id: int, measurements: dict[str, float]) -> tuple[int, float]:
        """The class and its probability for one participant, by feature name."""
        resp = self._call("POST", f"/models/{model_id}/predict", json={"features": measurements})
        if resp.status_code == 422:
            raise UnknownMeasurement(resp.json()["errors"]["features"])
        resp.raise_for_status()
        body = resp.json()
        label = body["prediction"]
        return label, body["probabilities"][str(label)]

    def classify_cohort(self, model_id: int, rows: list[dict[str, float]]) -> list[int]:
        resp = self._call("POST", f"/models/{model_id}/batch-predict", json={"samples": rows})
        resp.raise_for_status()
        return resp.json()["predictions"]

    def model(self, model_id: int) -> dict:
        resp = self._call("GET", f"/models/{model_id}")
        resp.raise_for_status()
        return resp.json()

    def own_models(self) -> list[dict]:
        """The group's models (first page): what the notebook offers to choose from."""
        resp = self._call("GET", "/models", params={"owner": "me"})
        resp.raise_for_status()
        return [
            {
                "id": m["id"],
                "name": m["name"],
                "version": m["version"],
                "inputs": m["feature_names"],
            }
            for m in resp.json()["items"]
        ]

    def history(self, model_id: int | None = None, per_page: int = 100) -> Iterator[dict]:
        """Every prediction of the group, newest first, page after page."""
        params = {"page": 1, "per_page": per_page}
        if model_id is not None:
            params["model_id"] = model_id
        while True:
            resp = self._call("GET", "/predictions", params=params)
            resp.raise_for_status()
            body = resp.json()
            yield from body["items"]
            if body["page"] >= body["pages"]:
                return
            params["page"] += 1
