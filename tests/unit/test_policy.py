"""The access policy itself, as a table: actor x action x resource -> allowed?

The HTTP behaviour is pinned by features/ownership.feature and the API tests; this table
pins the one function every endpoint asks, so a changed rule shows up here first.
"""

from types import SimpleNamespace

import pytest

from mlapi.errors import Forbidden
from mlapi.policy import ADMINISTRATION, RULES, authorize, may

OWNER = SimpleNamespace(id=1, is_admin=False)
OTHER = SimpleNamespace(id=2, is_admin=False)
ADMIN = SimpleNamespace(id=3, is_admin=True)
MAINTAINER = SimpleNamespace(id=4, is_admin=False)
MEMBER = SimpleNamespace(id=5, is_admin=False)
ACTORS = {
    "owner": OWNER,
    "other": OTHER,
    "admin": ADMIN,
    "maintainer": MAINTAINER,
    "member": MEMBER,
}
TEAM_ID = 10
ROLES = {MAINTAINER.id: {TEAM_ID: "maintainer"}, MEMBER.id: {TEAM_ID: "member"}}


@pytest.fixture(autouse=True)
def memberships(monkeypatch):
    """Team roles as the table states them (the real ones come from the database)."""
    monkeypatch.setattr("mlapi.teams.membership.roles_of", lambda user_id: ROLES.get(user_id, {}))


def model(visibility: str) -> SimpleNamespace:
    return SimpleNamespace(
        policy_kind="model", owner_id=OWNER.id, team_id=None, visibility=visibility
    )


def team_model(visibility: str) -> SimpleNamespace:
    """A model of team 10, uploaded by OWNER (who is not in the team)."""
    return SimpleNamespace(
        policy_kind="model", owner_id=OWNER.id, team_id=TEAM_ID, visibility=visibility
    )


TEAM = SimpleNamespace(policy_kind="team", id=TEAM_ID)
PREDICTION = SimpleNamespace(policy_kind="prediction", owner_id=OWNER.id)
API_KEY = SimpleNamespace(policy_kind="api_key", owner_id=OWNER.id)
WEBHOOK = SimpleNamespace(policy_kind="webhook", owner_id=OWNER.id)

TABLE = [
    # actor, action, resource, allowed
    ("owner", "view", model("private"), True),
    ("other", "view", model("private"), False),
    ("admin", "view", model("private"), True),
    ("other", "view", model("public"), True),
    ("other", "predict", model("private"), False),
    ("other", "predict", model("public"), True),
    ("admin", "predict", model("private"), True),
    ("other", "update", model("public"), False),
    ("admin", "update", model("private"), True),
    ("owner", "update", model("private"), True),
    ("other", "delete", model("public"), False),
    ("admin", "delete", model("public"), True),
    ("other", "metrics", model("public"), False),
    ("owner", "metrics", model("private"), True),
    ("admin", "metrics", model("private"), True),
    ("owner", "read", PREDICTION, True),
    ("other", "read", PREDICTION, False),
    ("admin", "read", PREDICTION, True),
    ("owner", "feedback", PREDICTION, True),
    ("other", "feedback", PREDICTION, False),
    ("admin", "feedback", PREDICTION, False),  # feedback is the owner's alone
    ("admin", "access", ADMINISTRATION, True),
    ("owner", "access", ADMINISTRATION, False),
    ("owner", "delete", API_KEY, True),
    ("other", "delete", API_KEY, False),
    ("admin", "delete", API_KEY, True),  # admins may revoke any key
    ("owner", "rotate", API_KEY, True),
    ("other", "rotate", API_KEY, False),
    ("admin", "rotate", API_KEY, False),  # revoke, yes; mint a key for someone else, no
    ("owner", "read", WEBHOOK, True),
    ("other", "read", WEBHOOK, False),
    ("admin", "read", WEBHOOK, True),  # admins may read every resource
    ("owner", "delete", WEBHOOK, True),
    ("other", "delete", WEBHOOK, False),
    ("admin", "delete", WEBHOOK, True),  # admins may revoke any hook
    ("owner", "upload_version", model("private"), True),
    ("other", "upload_version", model("public"), False),
    ("owner", "move_alias", model("private"), True),
    ("other", "move_alias", model("public"), False),
    ("admin", "move_alias", model("private"), True),
    # a team's model: the team decides, not the uploader
    ("member", "view", team_model("private"), True),
    ("member", "predict", team_model("private"), True),
    ("member", "metrics", team_model("private"), True),
    ("member", "update", team_model("private"), False),
    ("member", "delete", team_model("private"), False),
    ("member", "upload_version", team_model("private"), False),
    ("member", "move_alias", team_model("private"), False),
    ("maintainer", "update", team_model("private"), True),
    ("maintainer", "delete", team_model("private"), True),
    ("maintainer", "upload_version", team_model("private"), True),
    ("maintainer", "move_alias", team_model("private"), True),
    ("owner", "view", team_model("private"), False),  # the uploader left the team
    ("owner", "update", team_model("private"), False),
    ("other", "view", team_model("private"), False),
    ("other", "predict", team_model("public"), True),
    ("other", "metrics", team_model("public"), False),
    ("admin", "delete", team_model("private"), True),
    ("member", "view", TEAM, True),
    ("maintainer", "view", TEAM, True),
    ("other", "view", TEAM, False),
    ("admin", "view", TEAM, True),
    ("member", "manage", TEAM, False),
    ("maintainer", "manage", TEAM, True),
    ("other", "manage", TEAM, False),
    ("admin", "manage", TEAM, True),
]


@pytest.mark.parametrize(
    ("actor", "action", "resource", "allowed"),
    TABLE,
    ids=[
        f"{a}-{act}-{r.policy_kind}-{getattr(r, 'visibility', '')}-{ok}" for a, act, r, ok in TABLE
    ],
)
def test_policy_table(actor, action, resource, allowed):
    assert may(ACTORS[actor], action, resource) is allowed


def test_every_rule_is_in_the_table():
    covered = {(resource.policy_kind, action) for _, action, resource, _ in TABLE}
    assert covered == set(RULES)


def test_an_unknown_action_is_an_error_not_a_silent_yes():
    with pytest.raises(KeyError):
        may(ADMIN, "launch", model("public"))


def test_authorize_raises_forbidden_with_the_given_detail():
    with pytest.raises(Forbidden, match="not yours"):
        authorize(OTHER, "update", model("public"), "not yours")
    authorize(OWNER, "update", model("private"))
