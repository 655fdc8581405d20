"""Who may do what: the one access policy every endpoint asks.

A rule takes the caller and the resource and answers yes or no. Resources name their kind
in ``policy_kind`` and their owner in ``owner_id``; a missing rule is a programming error,
never a silent yes.
"""

from collections.abc import Callable

from .errors import Forbidden


def _owner(actor, resource) -> bool:
    return actor.id == resource.owner_id


def _owner_or_admin(actor, resource) -> bool:
    return _owner(actor, resource) or actor.is_admin


def _public_or_owner_or_admin(actor, resource) -> bool:
    return resource.visibility == "public" or _owner_or_admin(actor, resource)


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
    ("model", "view"): _public_or_owner_or_admin,
    ("model", "predict"): _public_or_owner_or_admin,
    ("model", "update"): _owner_or_admin,
    ("model", "delete"): _owner_or_admin,
    ("model", "metrics"): _owner_or_admin,
    ("admin", "access"): _admin,
    ("api_key", "delete"): _owner_or_admin,
    ("webhook", "read"): _owner_or_admin,  # another user's hook reads as missing (404)
    ("webhook", "delete"): _owner_or_admin,
}


def may(actor, action: str, resource) -> bool:
    return RULES[(resource.policy_kind, action)](actor, resource)


def authorize(actor, action: str, resource, detail: str | None = None) -> None:
    if not may(actor, action, resource):
        raise Forbidden(detail)
