"""Reading the log: admins see everything and filter it; a user sees their own events and
those of their teams' things, never someone else's."""

from datetime import datetime, timedelta, timezone

import pytest

from mlapi.audit.service import record
from mlapi.extensions import db
from mlapi.teams.models import Namespace, Team, TeamMember
from tests.support.audit import SWEEP
from tests.unit.helpers import assert_problem

ADMIN_AUDIT = "/api/v1/admin/audit"
MY_AUDIT = "/api/v1/audit"


def actions(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [event["action"] for event in response.get_json()["items"]]


def _team_with(app, name: str, members: dict[int, str]) -> int:
    with app.app_context():
        db.session.add(Namespace(key=name, kind="team"))
        team = Team(name=name, name_key=name)
        team.members = [TeamMember(user_id=uid, role=role) for uid, role in members.items()]
        db.session.add(team)
        db.session.commit()
        return team.id


def _system_event(app, action: str, target_type: str, target_id: int) -> None:
    with app.app_context():
        record(action, target_type, target_id, {}, system=True)
        db.session.commit()


def test_the_admin_reads_every_event_newest_first_in_the_page_envelope(stage):
    SWEEP["user.role_changed"].perform(stage)
    SWEEP["api_key.created"].perform(stage)

    response = stage.client.get(
        ADMIN_AUDIT, query_string={"per_page": 2}, headers=stage.admin_headers
    )

    body = response.get_json()
    assert actions(response) == ["api_key.created", "user.role_changed"]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 2, 3, 2)
    last_page = stage.client.get(
        ADMIN_AUDIT, query_string={"per_page": 2, "page": 2}, headers=stage.admin_headers
    )
    assert actions(last_page) == ["default_model.changed"]  # the first start's


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"action": "user.deactivated"}, ["user.deactivated"]),
        ({"target_type": "api_key"}, ["api_key.created"]),
        ({"actor": "user"}, ["api_key.created"]),
        ({"target_type": "user", "target_id": "user"}, ["user.deactivated", "user.role_changed"]),
        ({"action": "user.role_changed", "actor": "admin"}, ["user.role_changed"]),
        ({"action": "team.created"}, []),
    ],
)
def test_the_admin_narrows_the_events_with_filters(stage, filters, expected):
    SWEEP["api_key.created"].perform(stage)
    SWEEP["user.role_changed"].perform(stage)
    SWEEP["user.deactivated"].perform(stage)
    people = {"user": stage.user.id, "admin": stage.admin.id}
    query = {
        name: people[value] if name in ("actor", "target_id") else value
        for name, value in filters.items()
    }

    response = stage.client.get(ADMIN_AUDIT, query_string=query, headers=stage.admin_headers)

    assert actions(response) == expected


def test_since_is_inclusive_and_until_exclusive(stage, audit_events):
    SWEEP["user.role_changed"].perform(stage)
    (event,) = audit_events(action="user.role_changed")
    moment = datetime.fromisoformat(event["at"])
    in_paris = moment.astimezone(timezone(timedelta(hours=1))).isoformat()

    def seen(**window) -> list[str]:
        response = stage.client.get(
            ADMIN_AUDIT,
            query_string={"action": "user.role_changed", **window},
            headers=stage.admin_headers,
        )
        return actions(response)

    assert seen(since=in_paris) == ["user.role_changed"]
    assert seen(until=in_paris) == []
    assert seen(until=(moment + timedelta(microseconds=1)).isoformat()) == ["user.role_changed"]
    assert seen(since=(moment + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")) == []


@pytest.mark.parametrize(
    "window",
    [
        {"since": "2026-12-01T10:00:00"},  # no offset: which zone?
        {"until": "2026-12-01"},
        {"since": "yesterday"},
        {"target_type": "password"},
        {"actor": "0"},
    ],
)
def test_a_filter_that_makes_no_sense_is_refused(client, admin_headers, window):
    response = client.get(ADMIN_AUDIT, query_string=window, headers=admin_headers)

    assert_problem(response, 422, "validation_error")
    assert next(iter(window)) in response.get_json()["errors"]


def test_only_admins_read_the_whole_log(client, auth_headers):
    assert_problem(client.get(ADMIN_AUDIT, headers=auth_headers), 403, "forbidden")
    assert_problem(
        client.get(ADMIN_AUDIT, query_string={"since": "bad"}, headers=auth_headers),
        403,
        "forbidden",
    )
    assert_problem(client.get(MY_AUDIT), 401, "unauthorized")


def test_a_user_sees_what_they_did_and_what_was_done_to_them(stage, make_user, sign_in):
    SWEEP["user.role_changed"].perform(stage)  # done to the user, by the admin
    SWEEP["api_key.created"].perform(stage)  # done by the user
    stranger = sign_in(make_user()).headers
    stage.client.post("/api/v1/auth/api-keys", json={"name": "theirs"}, headers=stranger)

    mine = stage.client.get(MY_AUDIT, headers=stage.user_headers)
    theirs = stage.client.get(MY_AUDIT, headers=stranger)

    assert actions(mine) == ["api_key.created", "user.role_changed"]
    assert [e["details"]["name"] for e in theirs.get_json()["items"]] == ["theirs"]


def test_the_owner_sees_what_others_did_to_their_webhook(stage):
    SWEEP["webhook.deleted"].prepare(stage)
    _system_event(stage.app, "webhook.created", "webhook", stage.kept["hook"])

    events = stage.client.get(MY_AUDIT, headers=stage.user_headers).get_json()["items"]

    assert [event["actor"]["kind"] for event in events] == ["system", "user"]


def test_team_events_are_visible_to_its_members_as_membership_is_now(stage, make_user, sign_in):
    outsider = make_user()
    team_id = _team_with(stage.app, "risk", {stage.user.id: "member"})
    model_id = stage.upload_model(stage.admin_headers, "scorer")["id"]
    with stage.app.app_context():
        from mlapi.registry.models import MLModel  # the test may reach above the audit layer

        db.session.get(MLModel, model_id).team_id = team_id
        db.session.commit()
    _system_event(stage.app, "team.member_set", "team", team_id)
    _system_event(stage.app, "alias.moved", "alias", model_id)
    _system_event(stage.app, "model.moved", "model_name", model_id)

    member = stage.client.get(MY_AUDIT, headers=stage.user_headers)
    stranger = stage.client.get(MY_AUDIT, headers=sign_in(outsider).headers)
    with stage.app.app_context():
        db.session.delete(db.session.get(TeamMember, (team_id, stage.user.id)))
        db.session.commit()
    former = stage.client.get(MY_AUDIT, headers=stage.user_headers)

    assert actions(member) == ["model.moved", "alias.moved", "team.member_set", "model.uploaded"]
    assert actions(stranger) == []
    assert actions(former) == []


def test_a_users_own_model_events_are_theirs_alone(stage, make_user, sign_in):
    model_id = stage.upload_model(stage.user_headers, "mine")["id"]
    _system_event(stage.app, "model.deleted", "model", model_id)

    mine = stage.client.get(MY_AUDIT, headers=stage.user_headers)
    assert actions(mine) == ["model.deleted", "model.uploaded"]
    other = sign_in(make_user()).headers
    assert actions(stage.client.get(MY_AUDIT, headers=other)) == []
