"""The audit sweep's rows for models, aliases and teams, made through the HTTP API: the
user uploads ``MODEL`` (version 1), names it with ``ALIAS``, creates ``TEAM``."""

import io

from sqlalchemy import select

from mlapi.registry.models import MLModel, ModelAlias
from mlapi.teams.models import Team, TeamMember
from tests.support.audit_change import Change, Stage, read_rows
from tests.support.model_files import model_file

TEAM = "risk"
MODEL = "churn"
ALIAS = "prod"


def _upload(stage: Stage, **form):
    """Upload version 1 of ``MODEL`` as the user (the answer as is: it may be a failure)."""
    form = {
        "name": MODEL,
        "model_type": "sklearn",
        "file": (io.BytesIO(model_file("regressor")), f"{MODEL}.skops"),
        **form,
    }
    return stage.client.post(
        "/api/v1/models", data=form, headers=stage.user_headers, content_type="multipart/form-data"
    )


def _keep_model(stage: Stage):
    stage.kept["model"] = _upload(stage).get_json()["id"]


def _patch_model(stage: Stage, changes: dict):
    return stage.client.patch(
        f"/api/v1/models/{stage.kept['model']}", json=changes, headers=stage.user_headers
    )


def _delete_model(stage: Stage):
    return stage.client.delete(f"/api/v1/models/{stage.kept['model']}", headers=stage.user_headers)


def _models(stage: Stage):
    columns = (MLModel.id, MLModel.team_id, MLModel.visibility, MLModel.description)
    return read_rows(stage, select(*columns, MLModel.deleted_at).order_by(MLModel.id))


def _alias_path(stage: Stage) -> str:
    return f"/api/v1/registry/{stage.user.username}/{MODEL}/aliases/{ALIAS}"


def _move_alias(stage: Stage):
    return stage.client.put(_alias_path(stage), json={"version": 1}, headers=stage.user_headers)


def _keep_aliased_model(stage: Stage):
    _keep_model(stage)
    _move_alias(stage)


def _aliases(stage: Stage):
    return read_rows(stage, select(ModelAlias.name_id, ModelAlias.alias, ModelAlias.model_id))


def _full_name(stage: Stage) -> str:
    return f"{stage.user.username}/{MODEL}"


def _create_team(stage: Stage, headers: dict | None = None):
    headers = headers or stage.user_headers
    return stage.client.post("/api/v1/teams", json={"name": TEAM}, headers=headers)


def _keep_team(stage: Stage, headers: dict | None = None):
    stage.kept["team"] = _create_team(stage, headers).get_json()["id"]


def _set_member(stage: Stage):
    return stage.client.put(
        f"/api/v1/teams/{stage.kept['team']}/members/{stage.user.username}",
        json={"role": "member"},
        headers=stage.admin_headers,
    )


def _keep_member(stage: Stage):
    _keep_team(stage, stage.admin_headers)
    _set_member(stage)


def _teams(stage: Stage):
    return read_rows(stage, select(Team.id, Team.deleted_at))


def _members(stage: Stage):
    return read_rows(stage, select(TeamMember.team_id, TeamMember.user_id, TeamMember.role))


def _keep_model_and_team(stage: Stage):
    _keep_model(stage)
    _keep_team(stage)


REGISTRY_AND_TEAM_ROWS: dict[str, Change] = {
    "model.uploaded": Change(
        "model",
        lambda s: _upload(s, team=TEAM),
        _models,
        prepare=_keep_team,
        actor="user",
        details=lambda s: {"team": TEAM, "full_name": f"{TEAM}/{MODEL}", "visibility": "private"},
    ),
    "model.deleted": Change(
        "model",
        _delete_model,
        _models,
        prepare=_keep_model,
        actor="user",
        details=lambda s: {"full_name": _full_name(s), "version": 1},
    ),
    "model.updated (visibility)": Change(
        "model_name",
        lambda s: _patch_model(s, {"visibility": "public"}),
        _models,
        prepare=_keep_model,
        actor="user",
        details=lambda s: {"changes": {"visibility": "public"}},
    ),
    "model.updated (description)": Change(
        "model",
        lambda s: _patch_model(s, {"description": "retrained"}),
        _models,
        prepare=_keep_model,
        actor="user",
        details=lambda s: {"changes": {"description": "retrained"}},
    ),
    "model.moved": Change(
        "model_name",
        lambda s: _patch_model(s, {"team": TEAM}),
        _models,
        prepare=_keep_model_and_team,
        actor="user",
        details=lambda s: {"name": MODEL, "from": s.user.username, "to": TEAM},
    ),
    "alias.moved": Change(
        "alias",
        _move_alias,
        _aliases,
        prepare=_keep_model,
        actor="user",
        details=lambda s: {"alias": ALIAS, "full_name": _full_name(s), "previous_version": None},
    ),
    "alias.deleted (removed)": Change(
        "alias",
        lambda s: s.client.delete(_alias_path(s), headers=s.user_headers),
        _aliases,
        prepare=_keep_aliased_model,
        actor="user",
        details=lambda s: {"alias": ALIAS, "version": 1, "reason": "removed"},
    ),
    "alias.deleted (version_deleted)": Change(
        "alias",
        _delete_model,
        _aliases,
        prepare=_keep_aliased_model,
        actor="user",
        details=lambda s: {"alias": ALIAS, "full_name": _full_name(s), "reason": "version_deleted"},
    ),
    "team.created": Change(
        "team", _create_team, _teams, actor="user", details=lambda s: {"name": TEAM}
    ),
    "team.deleted": Change(
        "team",
        lambda s: s.client.delete(f"/api/v1/teams/{s.kept['team']}", headers=s.user_headers),
        _teams,
        prepare=_keep_team,
        actor="user",
        details=lambda s: {"name": TEAM},
    ),
    "team.member_set": Change(
        "team",
        _set_member,
        _members,
        prepare=lambda s: _keep_team(s, s.admin_headers),
        details=lambda s: {"user_id": s.user.id, "role": "member", "previous_role": None},
    ),
    "team.member_removed": Change(
        "team",
        lambda s: s.client.delete(
            f"/api/v1/teams/{s.kept['team']}/members/{s.user.username}", headers=s.admin_headers
        ),
        _members,
        prepare=_keep_member,
        details=lambda s: {"username": s.user.username, "role": "member"},
    ),
}
