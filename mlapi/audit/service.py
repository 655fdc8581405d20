"""Writing audit records: ``record`` adds one to the session of the change it describes,
so both commit together or neither does (no change without its record, no record of a
change that did not happen)."""

from flask import g, has_request_context

from ..extensions import db
from .models import ACTOR_CLI, ACTOR_SYSTEM, ACTOR_USER, AuditEvent


def record(
    action: str,
    target_type: str,
    target_id: int | None,
    details: dict | None = None,
    *,
    system: bool = False,
) -> AuditEvent:
    """Add the record of ``action`` to the current transaction (the caller commits).

    The actor is the request's caller (with the API key it used); outside a request a CLI
    command; ``system`` for what the service does by itself (first start). ``details``
    must hold no secret: docs/audit.md lists the keys of each action."""
    event = AuditEvent(
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
        **_actor(system),
    )
    db.session.add(event)
    return event


def _actor(system: bool) -> dict:
    caller = g.get("caller") if has_request_context() else None
    if caller is not None and not system:
        return {
            "actor_kind": ACTOR_USER,
            "actor_id": caller.id,
            "actor_username": caller.username,
            "api_key_id": g.get("api_key_id"),
            "request_id": g.get("request_id"),
        }
    return {"actor_kind": ACTOR_SYSTEM if system else ACTOR_CLI}
