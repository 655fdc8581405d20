"""Registering, listing and deleting hooks, and reading their deliveries log.

Another user's hook is "not found", never "forbidden": its existence is not revealed
(docs/api.md). Admins may read every hook and its log, and delete any.
"""

from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from ..audit.service import record
from ..auth.models import User
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..pagination import Page, paginate
from ..policy import may
from . import crypto
from .addresses import UnsafeUrl, check_configured
from .models import Webhook, WebhookAttempt, WebhookDelivery


def _check_hook_cap(owner) -> None:
    """409 when the owner already has ``MAX_WEBHOOKS`` hooks:
    each is a delivery to make per event. The owner's row is locked first (PostgreSQL), so
    two concurrent registrations cannot both pass the count."""
    db.session.execute(select(User.id).where(User.id == owner.id).with_for_update())
    cap = current_app.config["MAX_WEBHOOKS"]
    held = db.session.execute(
        select(func.count()).select_from(Webhook).where(Webhook.owner_id == owner.id)
    ).scalar_one()
    if held >= cap:
        db.session.rollback()
        raise Conflict(
            f"You already have {cap} webhooks, the most one account may. "
            "Delete one you no longer use to free a slot."
        )


def create_webhook(
    owner, *, url: str, events: list[str], name: str | None = None
) -> tuple[Webhook, str]:
    """A new hook of ``owner``'s and its signing secret, shown to the caller once."""
    try:
        check_configured(url)
    except UnsafeUrl as exc:
        raise ValidationFailed({"url": [str(exc)]}) from exc
    _check_hook_cap(owner)  # after the address check: the lock is not held during DNS
    secret = crypto.new_secret()
    hook = Webhook(
        owner_id=owner.id,
        name=name,
        url=url,
        events=list(dict.fromkeys(events)),
        secret_encrypted=crypto.encrypt(secret, current_app.config["SECRET_KEY"]),
    )
    db.session.add(hook)
    db.session.flush()  # its id, for the audit record
    # The host only: a URL may carry credentials (user:password@, a token in the query).
    record("webhook.created", "webhook", hook.id, {"host": _host(url), "events": hook.events})
    db.session.commit()
    return hook, secret


def list_webhooks(actor, *, page: int, per_page: int, owner: str | None = None) -> Page:
    """The actor's hooks, newest first; an admin's list holds everyone's unless
    ``owner == "me"``."""
    stmt = select(Webhook)
    if not actor.is_admin or owner == "me":
        stmt = stmt.where(Webhook.owner_id == actor.id)
    return paginate(stmt.order_by(Webhook.created_at.desc(), Webhook.id.desc()), page, per_page)


def get_webhook(actor, webhook_id: int, action: str = "read") -> Webhook:
    hook = db.session.get(Webhook, webhook_id)
    if hook is None or not may(actor, action, hook):
        raise NotFound("There is no webhook with that id among yours.")
    return hook


def delete_webhook(actor, webhook_id: int) -> None:
    """Delete a hook with its queued deliveries and log (the database cascades)."""
    hook = get_webhook(actor, webhook_id, "delete")
    record("webhook.deleted", "webhook", hook.id, {"host": _host(hook.url)})
    db.session.delete(hook)
    db.session.commit()


def _host(url: str) -> str | None:
    return urlsplit(url).hostname


def list_attempts(actor, webhook_id: int, *, page: int, per_page: int) -> Page:
    """Every attempt to deliver to the hook, newest first."""
    hook = get_webhook(actor, webhook_id)
    stmt = (
        select(WebhookAttempt)
        .join(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == hook.id)
        .order_by(WebhookAttempt.created_at.desc(), WebhookAttempt.id.desc())
    )
    return paginate(stmt, page, per_page)
