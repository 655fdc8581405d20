"""Reading the audit log: every event (admins, filtered) or the caller's own.

The caller's own are the events they did and those about what is theirs or their teams'
now: membership and ownership are joined when the page is read, so a new member of a team
sees its history and a member who left no longer does. The owners of models and webhooks
are read through bare table objects: their packages sit above this one (tests/unit/
test_layers.py)."""

from datetime import datetime

from sqlalchemy import and_, column, or_, select, table

from ..auth.models import ApiKey
from ..pagination import Page, paginate
from ..teams.models import TeamMember
from ..timeutil import naive_utc
from .models import AuditEvent

_MODELS = table("ml_models", column("id"), column("owner_id"), column("team_id"))
_WEBHOOKS = table("webhooks", column("id"), column("owner_id"))
_MODEL_TARGETS = ("model", "model_name", "alias")  # each names an ml_models row


def _newest_first(stmt):
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def list_events(
    page: int,
    per_page: int,
    *,
    actor: int | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page:
    """Every event that passes the filters (``since`` inclusive, ``until`` exclusive)."""
    where = []
    if actor is not None:
        where.append(AuditEvent.actor_id == actor)
    if action is not None:
        where.append(AuditEvent.action == action)
    if target_type is not None:
        where.append(AuditEvent.target_type == target_type)
    if target_id is not None:
        where.append(AuditEvent.target_id == target_id)
    if since is not None:
        where.append(AuditEvent.at >= naive_utc(since))
    if until is not None:
        where.append(AuditEvent.at < naive_utc(until))
    return paginate(_newest_first(select(AuditEvent).where(*where)), page, per_page)


def list_events_of(user_id: int, page: int, per_page: int) -> Page:
    """What ``user_id`` did, and what was done to them or to their or their teams' things."""
    teams = select(TeamMember.team_id).where(TeamMember.user_id == user_id)
    models = select(_MODELS.c.id).where(
        or_(
            and_(_MODELS.c.team_id.is_(None), _MODELS.c.owner_id == user_id),
            _MODELS.c.team_id.in_(teams),
        )
    )
    keys = select(ApiKey.id).where(ApiKey.owner_id == user_id)
    hooks = select(_WEBHOOKS.c.id).where(_WEBHOOKS.c.owner_id == user_id)

    def targets(types, ids):
        return and_(AuditEvent.target_type.in_(types), AuditEvent.target_id.in_(ids))

    mine = or_(
        AuditEvent.actor_id == user_id,
        and_(AuditEvent.target_type.in_(("user", "session")), AuditEvent.target_id == user_id),
        targets(_MODEL_TARGETS, models),
        targets(("team",), teams),
        targets(("api_key",), keys),
        targets(("webhook",), hooks),
    )
    return paginate(_newest_first(select(AuditEvent).where(mine)), page, per_page)
