"""Who hears about a team's model: the hooks of the team's maintainers, and no one else.

Teams are made here as rows (the teams API is its own work); the registry's signals are
sent as the registry sends them, inside a change and before its commit.
"""

import json

import pytest
from sqlalchemy import select

from mlapi.auth.models import User
from mlapi.extensions import db
from mlapi.registry.signals import model_alias_moved, model_created, model_deleted
from mlapi.teams.models import KIND_TEAM, ROLE_MAINTAINER, ROLE_MEMBER, Namespace, Team, TeamMember
from mlapi.timeutil import utcnow
from mlapi.webhooks.models import WebhookDelivery

TEAM_EVENTS = ["model.created", "model.deleted", "model.alias_moved"]
ALIAS_MOVE = {
    "alias": "prod",
    "full_name": "risk/churn",
    "version": 3,
    "model_id": 41,
    "previous_version": 2,
}


def make_team(app, name: str, roles: dict[int, str], *, deleted: bool = False) -> int:
    with app.app_context():
        db.session.add(Namespace(key=name.lower(), kind=KIND_TEAM))
        team = Team(name=name, name_key=name.lower(), deleted_at=utcnow() if deleted else None)
        team.members = [TeamMember(user_id=user_id, role=role) for user_id, role in roles.items()]
        db.session.add(team)
        db.session.commit()
        team_id = team.id
        db.session.remove()
        return team_id


def announce(app, signal, *, owner_id: int, team_id: int | None, data: dict) -> None:
    """What the registry does: signal inside the change, then commit."""
    with app.app_context():
        signal.send(app, owner_id=owner_id, team_id=team_id, data=data)
        db.session.commit()
        db.session.remove()


def told(app) -> list[tuple[int, str, dict]]:
    """(hook id, event, data) of every queued delivery, oldest first."""
    with app.app_context():
        rows = db.session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars()
        result = [(row.webhook_id, row.event, json.loads(row.body)["data"]) for row in rows]
        db.session.remove()
        return result


@pytest.fixture
def people(make_user, sign_in, create_hook):
    """New users, each with one hook that listens for every team event: (user, hook id)."""

    def make():
        person = make_user()
        hook = create_hook(sign_in(person).headers, events=TEAM_EVENTS)
        return person, hook["id"]

    return make


@pytest.mark.parametrize(
    ("signal", "event"),
    [
        (model_created, "model.created"),
        (model_deleted, "model.deleted"),
        (model_alias_moved, "model.alias_moved"),
    ],
)
def test_a_team_models_events_go_to_the_hooks_of_its_maintainers(app, people, signal, event):
    (uploader, uploader_hook), (second, second_hook) = people(), people()
    (member, _), _outsider = people(), people()  # a hook, not in the team
    team = make_team(
        app,
        "risk",
        {uploader.id: ROLE_MAINTAINER, second.id: ROLE_MAINTAINER, member.id: ROLE_MEMBER},
    )
    announce(app, signal, owner_id=uploader.id, team_id=team, data={"name": "churn"})
    assert [(hook, name) for hook, name, _ in told(app)] == [
        (uploader_hook, event),
        (second_hook, event),
    ]


def test_an_uploader_who_no_longer_maintains_the_team_hears_nothing(app, people):
    (uploader, _), (maintainer, maintainer_hook) = people(), people()
    team = make_team(app, "risk", {uploader.id: ROLE_MEMBER, maintainer.id: ROLE_MAINTAINER})
    announce(app, model_deleted, owner_id=uploader.id, team_id=team, data={"name": "churn"})
    assert [hook for hook, _, _ in told(app)] == [maintainer_hook]


def test_a_deleted_teams_maintainers_hear_nothing(app, people):
    maintainer, _ = people()
    team = make_team(app, "gone", {maintainer.id: ROLE_MAINTAINER}, deleted=True)
    announce(app, model_deleted, owner_id=maintainer.id, team_id=team, data={"name": "churn"})
    assert told(app) == []


def test_a_deactivated_maintainers_hooks_hear_nothing(app, people):
    (active, active_hook), (away, _) = people(), people()
    team = make_team(app, "risk", {active.id: ROLE_MAINTAINER, away.id: ROLE_MAINTAINER})
    with app.app_context():
        db.session.get(User, away.id).is_active = False
        db.session.commit()
    announce(app, model_created, owner_id=active.id, team_id=team, data={"name": "churn"})
    assert [hook for hook, _, _ in told(app)] == [active_hook]


def test_a_maintainer_hears_only_the_events_their_hook_asked_for(
    app, make_user, sign_in, create_hook
):
    maintainer = make_user()
    headers = sign_in(maintainer).headers
    create_hook(headers, events=["model.created"])
    listening = create_hook(headers, "https://other.example.com/in", ["model.alias_moved"])
    team = make_team(app, "risk", {maintainer.id: ROLE_MAINTAINER})
    announce(app, model_alias_moved, owner_id=maintainer.id, team_id=team, data=ALIAS_MOVE)
    assert [hook for hook, _, _ in told(app)] == [listening["id"]]


def test_an_alias_move_tells_the_alias_the_version_and_the_one_before(app, people):
    owner, hook = people()
    announce(app, model_alias_moved, owner_id=owner.id, team_id=None, data=ALIAS_MOVE)
    [(hook_id, event, data)] = told(app)
    assert (hook_id, event, data) == (hook, "model.alias_moved", ALIAS_MOVE)


def test_a_users_model_is_still_told_to_its_owner_only(app, people):
    (owner, hook), (teammate, _) = people(), people()
    make_team(app, "risk", {owner.id: ROLE_MAINTAINER, teammate.id: ROLE_MAINTAINER})
    announce(app, model_created, owner_id=owner.id, team_id=None, data={"name": "mine"})
    assert [hook_id for hook_id, _, _ in told(app)] == [hook]


def test_a_hook_can_ask_for_alias_moves(client, auth_headers, create_hook):
    hook = create_hook(auth_headers, events=["model.alias_moved"])
    assert hook["events"] == ["model.alias_moved"]
    shown = client.get(f"/api/v1/webhooks/{hook['id']}", headers=auth_headers).get_json()
    assert shown["events"] == ["model.alias_moved"]
