"""The audit log as tests read it, and the sweep of changes that write it.

``SWEEP`` is a table: one ``Change`` per way of writing an action (a row's key is the
action, then what sets this way apart in parentheses: ``action_of`` reads the action), each
preparing what it needs and then making the change through the API as a user would.
"""

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from mlapi.audit.models import AuditEvent
from mlapi.audit.schemas import AuditEventSchema
from mlapi.auth.models import ApiKey, User
from mlapi.extensions import db
from mlapi.registry.models import MLModel
from mlapi.webhooks.addresses import RESOLVER_KEY, static_resolver
from mlapi.webhooks.models import Webhook
from tests.contract_client import session_secrets
from tests.support.audit_change import Change, Stage, read_rows
from tests.support.audit_registry import REGISTRY_AND_TEAM_ROWS
from tests.support.audit_sessions import SESSION_ROWS

AUDIT_DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
HOOK_HOST = "hooks.example.com"
HOOK_URL = f"https://{HOOK_HOST}/mlapi"


def documented_keys() -> dict[str, set[str]]:
    """Each action of docs/audit.md's "details keys" table -> its keys."""
    keys = {}
    for line in AUDIT_DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        action = re.match(r"`([a-z_.]+)`", cells[0])
        if action and "." in action.group(1):
            keys[action.group(1)] = set(re.findall(r"`([a-z_]+)`", cells[2]))
    return keys


@pytest.fixture
def audit_events(app):
    """The records (as the API shows them), oldest first; ``where`` filters on columns."""

    def read(**where) -> list[dict]:
        with app.app_context():
            stmt = select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
            return AuditEventSchema(many=True).dump(db.session.scalars(stmt))

    return read


def secrets_in_audit_details(app) -> list[str]:
    """The session's secrets (passwords, keys, webhook secrets) found in any record."""
    with app.app_context():
        details = db.session.scalars(select(AuditEvent.details)).all()
    return session_secrets.found_in(json.dumps(details))


@pytest.fixture
def hook_dns(app):
    """Webhook addresses resolve without a network: the hook host is a public address."""
    app.extensions[RESOLVER_KEY] = static_resolver({HOOK_HOST: ["93.184.215.14"]})


@pytest.fixture
def stage(app, client, admin, admin_headers, user, auth_headers, upload_model, hook_dns):
    return Stage(app, client, admin, admin_headers, user, auth_headers, upload_model, {})


def _patch_user(stage: Stage, changes: dict):
    return stage.client.patch(
        f"/api/v1/admin/users/{stage.user.id}", json=changes, headers=stage.admin_headers
    )


def _create_key(stage: Stage):
    return stage.client.post(
        "/api/v1/auth/api-keys",
        json={"name": "nightly", "expires_in_days": 30},
        headers=stage.user_headers,
    )


def _keep_key(stage: Stage):
    stage.kept["key"] = _create_key(stage).get_json()["id"]


def _create_hook(stage: Stage):
    return stage.client.post(
        "/api/v1/webhooks",
        json={"url": HOOK_URL, "events": ["model.created"]},
        headers=stage.user_headers,
    )


def _keep_hook(stage: Stage):
    stage.kept["hook"] = _create_hook(stage).get_json()["id"]


def _user_state(stage: Stage):
    return read_rows(stage, select(User.role, User.is_active).where(User.id == stage.user.id))


def _keys(stage: Stage):
    return read_rows(stage, select(ApiKey.id, ApiKey.expires_at, ApiKey.replaced_by_id))


def _hooks(stage: Stage):
    return read_rows(stage, select(Webhook.id))


def _default(stage: Stage):
    return read_rows(stage, select(MLModel.id).where(MLModel.is_default.is_(True)))


def _keep_public_model(stage: Stage):
    stage.kept["model"] = stage.upload_model(stage.user_headers, visibility="public")["id"]


SWEEP: dict[str, Change] = {
    **REGISTRY_AND_TEAM_ROWS,
    **SESSION_ROWS,
    "user.role_changed": Change("user", lambda s: _patch_user(s, {"role": "admin"}), _user_state),
    "user.deactivated": Change("user", lambda s: _patch_user(s, {"is_active": False}), _user_state),
    "user.reactivated": Change(
        "user",
        lambda s: _patch_user(s, {"is_active": True}),
        _user_state,
        prepare=lambda s: _patch_user(s, {"is_active": False}),
    ),
    "api_key.created": Change("api_key", _create_key, _keys, actor="user"),
    "api_key.deleted": Change(
        "api_key",
        lambda s: s.client.delete(f"/api/v1/auth/api-keys/{s.kept['key']}", headers=s.user_headers),
        _keys,
        prepare=_keep_key,
        actor="user",
    ),
    "api_key.rotated": Change(
        "api_key",
        lambda s: s.client.post(
            f"/api/v1/auth/api-keys/{s.kept['key']}/rotate",
            json={"grace_seconds": 60},
            headers=s.user_headers,
        ),
        _keys,
        prepare=_keep_key,
        actor="user",
        details=lambda s: {"name": "nightly", "grace_seconds": 60},
    ),
    "webhook.created": Change("webhook", _create_hook, _hooks, actor="user"),
    "webhook.deleted": Change(
        "webhook",
        lambda s: s.client.delete(f"/api/v1/webhooks/{s.kept['hook']}", headers=s.user_headers),
        _hooks,
        prepare=_keep_hook,
        actor="user",
    ),
    "default_model.changed": Change(
        "model",
        lambda s: s.client.put(
            "/api/v1/admin/default-model",
            json={"model_id": s.kept["model"]},
            headers=s.admin_headers,
        ),
        _default,
        prepare=_keep_public_model,
    ),
}
