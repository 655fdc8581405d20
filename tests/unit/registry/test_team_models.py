"""Team-owned models: uploads into a team, versions per namespace, who may use and manage
a team's model, and visibility per name."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.steps.common_steps import assert_refused, assert_refused_pointing_at
from tests.unit.helpers import ROW
from tests.unit.registry.test_upload import form_for, post_form

MODELS = "/api/v1/models"


def test_a_maintainer_uploads_into_the_team(client, people, risk):
    users, headers = people

    response = post_form(client, headers["alice"], **form_for(team="risk"))

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["team"] == {"id": risk, "name": "risk"}
    assert body["owner"] == {"id": users["alice"].id, "username": "alice"}
    assert body["uploaded_by"] == {"id": users["alice"].id, "username": "alice"}
    assert body["full_name"] == "risk/churn"


def test_a_users_own_model_has_no_team_and_the_users_full_name(upload_model, people):
    _, headers = people

    body = upload_model(headers["nora"], "churn")

    assert (body["team"], body["full_name"]) == (None, "nora/churn")


def test_a_member_who_does_not_maintain_the_team_may_not_upload_into_it(client, people, risk):
    _, headers = people

    response = post_form(client, headers["mia"], **form_for(team="risk"))

    assert_refused(response, 403, "forbidden")


@pytest.mark.parametrize("team", ["risk", "nosuchteam", "RISK-2"])
def test_a_team_one_is_not_in_or_that_does_not_exist_is_refused_on_team(client, people, risk, team):
    _, headers = people

    response = post_form(client, headers["nora"], **form_for(team=team))

    assert_refused_pointing_at(response, "team")


def test_a_deleted_team_takes_no_upload(client, people, risk, delete_team):
    _, headers = people
    delete_team(risk)

    assert_refused_pointing_at(post_form(client, headers["alice"], **form_for(team="risk")), "team")


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_names_are_refused(client, auth_headers, name):
    assert_refused_pointing_at(post_form(client, auth_headers, **form_for(name=name)), "name")


def test_versions_count_per_namespace(client, upload_model, people, risk):
    _, headers = people
    assert upload_model(headers["alice"], "churn")["version"] == 1

    first = post_form(client, headers["alice"], **form_for(team="risk")).get_json()
    second = post_form(client, headers["bob"], **form_for(team="risk")).get_json()

    assert (first["full_name"], first["version"]) == ("risk/churn", 1)
    assert (second["full_name"], second["version"]) == ("risk/churn", 2)
    assert second["uploaded_by"]["username"] == "bob"
    assert upload_model(headers["alice"], "churn")["version"] == 2


def test_concurrent_uploads_into_one_team_name_get_distinct_versions(app, people, risk):
    _, headers = people
    uploads = 8
    start = threading.Barrier(uploads)

    def upload(index):
        client = app.test_client()
        start.wait()
        who = headers["alice"] if index % 2 else headers["bob"]
        response = post_form(client, who, **form_for(team="risk"))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["version"]

    with ThreadPoolExecutor(max_workers=uploads) as pool:
        versions = list(pool.map(upload, range(uploads)))

    assert sorted(versions) == list(range(1, uploads + 1))


@pytest.mark.parametrize(
    ("who", "view", "predict", "metrics", "update", "delete"),
    [
        ("alice", 200, 200, 200, 200, 204),
        ("mia", 200, 200, 200, 403, 403),
        ("nora", 403, 403, 403, 403, 403),
    ],
)
def test_who_may_use_and_manage_a_private_team_model(
    client, people, risk, who, view, predict, metrics, update, delete
):
    _, headers = people
    model = post_form(client, headers["bob"], **form_for(team="risk")).get_json()
    path, mine = f"{MODELS}/{model['id']}", headers[who]

    assert client.get(path, headers=mine).status_code == view
    answered = client.post(f"{path}/predict", json={"features": ROW}, headers=mine)
    assert answered.status_code == predict
    assert client.get(f"{path}/metrics", headers=mine).status_code == metrics
    assert client.patch(path, json={"description": "x"}, headers=mine).status_code == update
    assert client.delete(path, headers=mine).status_code == delete


def test_the_uploader_who_left_the_team_loses_access(client, people, risk, leave_team):
    users, headers = people
    model = post_form(client, headers["bob"], **form_for(team="risk")).get_json()
    assert client.get(f"{MODELS}/{model['id']}", headers=headers["bob"]).status_code == 200

    leave_team(risk, users["bob"])

    assert_refused(client.get(f"{MODELS}/{model['id']}", headers=headers["bob"]), 403, "forbidden")
    listed = client.get(MODELS, query_string={"name": "churn"}, headers=headers["bob"])
    assert listed.get_json()["total"] == 0


def test_a_new_version_inherits_the_names_visibility(client, upload_model, people):
    _, headers = people
    upload_model(headers["alice"], "churn", visibility="public")

    second = upload_model(headers["alice"], "churn", visibility="private")

    assert second["visibility"] == "public"


def test_patching_visibility_sets_every_live_version_of_the_name(client, upload_model, people):
    _, headers = people
    first = upload_model(headers["alice"], "churn")
    second = upload_model(headers["alice"], "churn")
    other = upload_model(headers["alice"], "other")

    response = client.patch(
        f"{MODELS}/{first['id']}", json={"visibility": "public"}, headers=headers["alice"]
    )

    assert response.get_json()["visibility"] == "public"
    for record, visibility in ((second, "public"), (other, "private")):
        seen = client.get(f"{MODELS}/{record['id']}", headers=headers["nora"])
        assert seen.status_code == (200 if visibility == "public" else 403)


def test_a_description_stays_the_versions_own(client, upload_model, people):
    _, headers = people
    first = upload_model(headers["alice"], "churn", description="one")
    second = upload_model(headers["alice"], "churn", description="two")

    client.patch(f"{MODELS}/{first['id']}", json={"description": "new"}, headers=headers["alice"])

    assert (
        client.get(f"{MODELS}/{second['id']}", headers=headers["alice"]).get_json()["description"]
        == "two"
    )


def test_the_list_shows_the_callers_teams_models_and_filters_by_team(
    client, upload_model, people, risk, seed_team
):
    users, headers = people
    seed_team("ops", maintainers=[users["nora"]])
    post_form(client, headers["alice"], **form_for(name="risk-private", team="risk"))
    post_form(client, headers["nora"], **form_for(name="ops-private", team="ops"))
    upload_model(headers["mia"], "mine")

    def names(who, **query):
        listed = client.get(MODELS, query_string=query, headers=headers[who]).get_json()
        return sorted(item["name"] for item in listed["items"] if item["name"] != "diabetes-linear")

    assert names("mia") == ["mine", "risk-private"]
    assert names("mia", team="risk") == ["risk-private"]
    assert names("mia", team="RISK") == ["risk-private"]
    assert names("mia", team="ops") == []  # not a member: its private models stay hidden
    assert names("mia", team="nosuchteam") == []
    assert names("mia", owner="me") == ["mine"]
    assert names("nora") == ["ops-private"]


def test_a_blank_team_field_means_the_uploaders_own_model(client, people):
    _, headers = people

    body = post_form(client, headers["nora"], **form_for(team="")).get_json()

    assert (body["team"], body["full_name"]) == (None, "nora/churn")
