"""The data scientists' release script: ship a model (or its next version) as skops,
publish or retire a version, and watch its metrics once people report outcomes."""

from dataclasses import dataclass

import requests

TIMEOUT = 30  # uploads


class ExportWithSkops(Exception):
    """mlapi refused the file as a pickle (422 ``pickle_refused``): re-export with skops."""


@dataclass
class Release:
    model_id: int
    name: str
    version: int
    sha256: str
    location: str


class ReleaseClient:
    def __init__(self, base_url: str, access_token: str):
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {access_token}"}

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        resp = requests.request(
            method, f"{self.base_url}/api/v1{path}", headers=self.headers, timeout=TIMEOUT, **kwargs
        )
        if resp.status_code == 422 and resp.json()["code"] == "pickle_refused":
            raise ExportWithSkops(resp.json()["detail"])
        resp.raise_for_status()
        return resp

    def ship(
        self, name: str, artifact: bytes, feature_names: list[str], description: str
    ) -> Release:
        """Upload ``artifact`` as ``name``: the next version when the name exists."""
        resp = self._call(
            "POST",
            "/models",
            files={"file": ("model.skops", artifact, "application/octet-stream")},
            data={
                "name": name,
                "model_type": "sklearn",
                "feature_names": ",".join(feature_names),
                "description": description,
            },
        )
        body = resp.json()
        return Release(
            body["id"], body["name"], body["version"], body["sha256"], resp.headers["Location"]
        )

    def versions(self, name: str) -> list[int]:
        """The versions of ``name`` the team can see, newest first (first page)."""
        items = self._call("GET", "/models", params={"name": name}).json()["items"]
        return [m["version"] for m in items]

    def publish(self, model_id: int) -> str:
        body = self._call("PATCH", f"/models/{model_id}", json={"visibility": "public"}).json()
        return body["visibility"]

    def retire(self, model_id: int) -> None:
        self._call("DELETE", f"/models/{model_id}")

    def accuracy(self, model_id: int) -> tuple[float | None, int]:
        """Accuracy from the outcomes reported so far, and how many there are."""
        body = self._call("GET", f"/models/{model_id}/metrics").json()
        return body["accuracy"], body["feedback_count"]
