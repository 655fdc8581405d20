"""Predictions by full name: the newest version, an alias, or a version number; an alias
moved on one host is followed at once, and the answer cache never answers for the other
version."""

from dataclasses import dataclass

import pytest

from tests.team_records import ROW, add_team, add_version, answer_of
from tests.unit.helpers import assert_problem, row

NAME = "/api/v1/registry/risk/churn"


@dataclass
class Risk:
    """Team "Risk" (alice maintains it, mia is a member) with "churn" version 1 (answers
    x1) and version 2 (answers x2): ``ids[version - 1]``."""

    alice: object
    mia: object
    ids: list[int]
    team_id: int


@pytest.fixture
def risk(app, person) -> Risk:
    alice, mia = person(), person()
    team_id = add_team(app, "Risk", {alice.id: "maintainer", mia.id: "member"})
    ids = [
        add_version(app, alice.id, "churn", version, team_id=team_id, scale=float(version))
        for version in (1, 2)
    ]
    return Risk(alice, mia, ids, team_id)


def move(client, headers, alias: str, version: int) -> None:
    moved = client.put(f"{NAME}/aliases/{alias}", json={"version": version}, headers=headers)
    assert moved.status_code == 200, moved.get_json()


def predict(client, headers, path: str, features=ROW) -> dict:
    answer = client.post(f"{NAME}{path}", json={"features": features}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


@pytest.mark.parametrize(
    ("path", "version", "alias"),
    [
        ("/predict", 2, "latest"),
        ("/aliases/latest/predict", 2, "latest"),
        ("/aliases/production/predict", 1, "production"),
        ("/versions/1/predict", 1, None),
    ],
)
def test_a_member_predicts_by_name_alias_or_version(client, risk, path, version, alias):
    alice, mia, ids = risk.alice, risk.mia, risk.ids
    move(client, alice.headers, "production", 1)

    answer = predict(client, mia.headers, path)

    assert answer["prediction"] == pytest.approx(answer_of(version))
    assert (answer["model_id"], answer["model_version"]) == (ids[version - 1], version)
    assert answer.get("alias") == alias
    assert ("alias" in answer) == (alias is not None)


@pytest.mark.parametrize(
    ("path", "version", "alias"),
    [
        ("/batch-predict", 2, "latest"),
        ("/aliases/production/batch-predict", 1, "production"),
        ("/versions/2/batch-predict", 2, None),
    ],
)
def test_batches_by_name_alias_or_version(client, risk, path, version, alias):
    alice, mia, ids = risk.alice, risk.mia, risk.ids
    move(client, alice.headers, "production", 1)
    samples = [ROW, row(0.01)]

    answer = client.post(f"{NAME}{path}", json={"samples": samples}, headers=mia.headers)

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    expected = [answer_of(version, sample) for sample in samples]
    assert body["predictions"] == pytest.approx(expected)
    assert (body["model_id"], body["count"], body.get("alias")) == (ids[version - 1], 2, alias)


def test_a_moved_alias_is_never_answered_from_the_other_versions_cache(client, risk):
    alice, mia = risk.alice, risk.mia
    move(client, alice.headers, "production", 1)
    before = predict(client, mia.headers, "/aliases/production/predict")
    again = predict(client, mia.headers, "/aliases/production/predict")

    move(client, alice.headers, "production", 2)
    after = predict(client, mia.headers, "/aliases/production/predict")

    assert again["cached"] is True  # the answer cache is on
    assert before["prediction"] == pytest.approx(answer_of(1))
    assert after["prediction"] == pytest.approx(answer_of(2))
    assert (after["model_version"], after["cached"]) == (2, False)


def test_another_host_follows_an_alias_moved_here_at_once(client, other_host, risk):
    alice, mia = risk.alice, risk.mia
    move(client, alice.headers, "production", 1)
    there = other_host.post(
        f"{NAME}/aliases/production/predict", json={"features": ROW}, headers=mia.headers
    )
    assert there.get_json()["model_version"] == 1

    move(client, alice.headers, "production", 2)
    there = other_host.post(
        f"{NAME}/aliases/production/predict", json={"features": ROW}, headers=mia.headers
    )

    assert there.get_json()["prediction"] == pytest.approx(answer_of(2))


def test_latest_follows_a_new_version(app, client, risk):
    alice, mia = risk.alice, risk.mia
    assert predict(client, mia.headers, "/predict")["model_version"] == 2

    add_version(app, alice.id, "churn", 3, team_id=risk.team_id, scale=3.0)

    answer = predict(client, mia.headers, "/predict")
    assert (answer["model_version"], answer["alias"]) == (3, "latest")
    assert answer["prediction"] == pytest.approx(answer_of(3))


@pytest.mark.parametrize(
    "path",
    ["/aliases/nothing/predict", "/aliases/Prod/predict", "/versions/9/predict"],
)
def test_what_names_no_version_is_not_found(client, risk, path):
    mia = risk.mia
    answer = client.post(f"{NAME}{path}", json={"features": ROW}, headers=mia.headers)

    assert_problem(answer, 404, "not_found")


def test_someone_outside_the_team_cannot_predict_or_learn_the_name_exists(client, risk, person):
    outsider = person()

    answer = client.post(f"{NAME}/predict", json={"features": ROW}, headers=outsider.headers)

    assert_problem(answer, 404, "not_found")


def test_a_deleted_version_no_longer_answers(client, risk):
    alice, mia, ids = risk.alice, risk.mia, risk.ids
    client.delete(f"/api/v1/models/{ids[0]}", headers=alice.headers)

    answer = client.post(f"{NAME}/versions/1/predict", json={"features": ROW}, headers=mia.headers)

    assert_problem(answer, 404, "not_found")


def test_predictions_by_name_spend_the_prediction_budget(client, risk):
    alice, ids = risk.alice, risk.ids
    by_id = client.post(
        f"/api/v1/models/{ids[1]}/predict", json={"features": ROW}, headers=alice.headers
    )
    by_name = client.post(f"{NAME}/predict", json={"features": ROW}, headers=alice.headers)

    limit = by_id.headers["X-RateLimit-Limit"]
    assert by_name.headers["X-RateLimit-Limit"] == limit
    remaining = int(by_id.headers["X-RateLimit-Remaining"])
    assert int(by_name.headers["X-RateLimit-Remaining"]) == remaining - 1
