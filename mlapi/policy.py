"""Who may do what: the one access policy every endpoint asks.

A rule takes the caller and the resource and answers yes or no. Resources name their kind
in ``policy_kind`` and their owner in ``owner_id``; a missing rule is a programming error,
never a silent yes.

A model may belong to a team (``team_id``): then the team decides, not the uploader. Its
members use it (view, predict, metrics); its maintainers also manage it (update, delete,
versions, aliases). A user's own model is the owner's to use and manage.
"""

from collections.abc import Callable

from .errors import Forbidden
from .teams.membership import maintains, role_in


def _owner(actor, resource) -> bool:
    return actor.id == resource.owner_id


def _owner_or_admin(actor, resource) -> bool:
    return _owner(actor, resource) or actor.is_admin


def _uses_model(actor, model) -> bool:
    if model.team_id is None:
        return _owner(actor, model)
    return role_in(actor.id, model.team_id) is not None


def _manages_model(actor, model) -> bool:
    if model.team_id is None:
        return _owner(actor, model)
    return maintains(actor.id, model.team_id)


def _public_or_user_or_admin(actor, model) -> bool:
    return model.visibility == "public" or _uses_model(actor, model) or actor.is_admin


def _user_or_admin(actor, model) -> bool:
    return _uses_model(actor, model) or actor.is_admin


def _manager_or_admin(actor, model) -> bool:
    return _manages_model(actor, model) or actor.is_admin


def _member_or_admin(actor, team) -> bool:
    return role_in(actor.id, team.id) is not None or actor.is_admin


def _maintainer_or_admin(actor, team) -> bool:
    return maintains(actor.id, team.id) or actor.is_admin


def _admin(actor, _resource) -> bool:
    return actor.is_admin


class Area:
    """A part of the service rather than a record: its rules look at the actor alone."""

    def __init__(self, policy_kind: str):
        self.policy_kind = policy_kind


ADMINISTRATION = Area("admin")

RULES: dict[tuple[str, str], Callable] = {
    ("prediction", "read"): _owner_or_admin,
    ("prediction", "feedback"): _owner,  # admins included: feedback is the owner's alone
    ("model", "view"): _public_or_user_or_admin,
    ("model", "predict"): _public_or_user_or_admin,
    ("model", "metrics"): _user_or_admin,
    ("model", "update"): _manager_or_admin,  # also moves it into or out of a team
    ("model", "delete"): _manager_or_admin,
    ("model", "upload_version"): _manager_or_admin,
    ("model", "move_alias"): _manager_or_admin,
    ("team", "view"): _member_or_admin,  # a non-member is answered 404, not 403
    ("team", "manage"): _maintainer_or_admin,
    ("admin", "access"): _admin,
    ("api_key", "delete"): _owner_or_admin,
    # admins included: a rotation mints a key, and only its owner may mint one
    ("api_key", "rotate"): _owner,
    ("webhook", "read"): _owner_or_admin,  # another user's hook reads as missing (404)
    ("webhook", "delete"): _owner_or_admin,
}


def may(actor, action: str, resource) -> bool:
    return RULES[(resource.policy_kind, action)](actor, resource)


def authorize(actor, action: str, resource, detail: str | None = None) -> None:
    if not may(actor, action, resource):
        raise Forbidden(detail)
