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
ACTORS = {"owner": OWNER, "other": OTHER, "admin": ADMIN}


def model(visibility: str) -> SimpleNamespace:
    return SimpleNamespace(policy_kind="model", owner_id=OWNER.id, visibility=visibility)


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
    ("owner", "read", WEBHOOK, True),
    ("other", "read", WEBHOOK, False),
    ("admin", "read", WEBHOOK, True),  # admins may read every resource
    ("owner", "delete", WEBHOOK, True),
    ("other", "delete", WEBHOOK, False),
    ("admin", "delete", WEBHOOK, True),  # admins may revoke any hook
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
