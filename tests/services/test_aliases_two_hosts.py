"""An alias moved on one host is followed by the other's next prediction (issue 19): the
answer caches (each worker's LRU and Redis) never answer for the version it left."""

import io
import uuid

import numpy as np
import pytest
import skops.io as sio
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from .conftest import Host
from .test_two_hosts import ROW, Client


def ridge(scale: float) -> tuple[bytes, float]:
    """A Ridge answering ``scale`` times the diabetes target, and its answer for ROW."""
    features, target = load_diabetes(return_X_y=True)
    model = Ridge(alpha=0.5).fit(features, target * scale)
    return sio.dumps(model), float(model.predict(np.array([ROW]))[0])


def upload(host: Host, client: Client, name: str, archive: bytes) -> dict:
    uploaded = host.post(
        "/api/v1/models",
        headers=client.auth,
        data={"name": name, "model_type": "sklearn"},
        files={"file": (f"{name}.skops", io.BytesIO(archive))},
    )
    assert uploaded.status_code == 201, uploaded.text
    return uploaded.json()


def move(host: Host, client: Client, path: str, version: int) -> None:
    moved = host.request(
        "PUT", f"{path}/aliases/production", headers=client.auth, json={"version": version}
    )
    assert moved.status_code == 200, moved.text


def ask(host: Host, client: Client, path: str) -> dict:
    answered = host.post(path, headers=client.auth, json={"features": ROW})
    assert answered.status_code == 200, answered.text
    return answered.json()


def test_an_alias_moved_on_one_host_answers_the_new_version_on_the_other(host_a, host_b):
    owner = Client(f"u{uuid.uuid4().hex[:10]}").register_and_login(host_a)
    (first, first_answer), (second, second_answer) = ridge(1.0), ridge(2.0)
    upload(host_a, owner, "churn", first)
    upload(host_a, owner, "churn", second)
    name = f"/api/v1/registry/{owner.username}/churn"
    by_alias = f"{name}/aliases/production/predict"
    move(host_a, owner, name, 1)
    for _ in range(3):  # every worker of host B has likely seen (and cached) version 1
        assert ask(host_b, owner, by_alias)["prediction"] == pytest.approx(first_answer)

    move(host_a, owner, name, 2)
    answers = [ask(host_b, owner, by_alias) for _ in range(3)]

    assert [a["model_version"] for a in answers] == [2, 2, 2]
    assert [a["prediction"] for a in answers] == pytest.approx([second_answer] * 3)
    assert {a["alias"] for a in answers} == {"production"}
