"""Teams and versions of a model name made directly in the database, for the tests of
team models, names and aliases (the teams API and uploads have their own tests): the one
place that makes them without the API."""

from functools import cache

import numpy as np
import skops.io as sio
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from mlapi.extensions import db
from mlapi.registry.models import TASK_REGRESSION, MLModel
from mlapi.registry.state import model_store
from mlapi.teams.models import KIND_TEAM, Namespace, Team, TeamMember
from mlapi.timeutil import utcnow

# One row of the diabetes data set's ten (scaled) features.
ROW = [0.038, 0.050, 0.061, 0.021, -0.044, -0.034, -0.043, -0.002, 0.019, -0.017]


@cache
def _fitted(scale: float) -> Ridge:
    features, target = load_diabetes(return_X_y=True)
    return Ridge(alpha=0.5).fit(features, target * scale)


def answer_of(scale: float, row: list[float] = ROW) -> float:
    """What a version stored with ``scale`` answers for ``row``."""
    return float(_fitted(scale).predict(np.array([row]))[0])


def add_team(app, name: str, members: dict[int, str]) -> int:
    """A team ``name`` with ``{user_id: role}``; return its id."""
    with app.app_context():
        db.session.add(Namespace(key=name.lower(), kind=KIND_TEAM))
        team = Team(name=name, name_key=name.lower())
        team.members = [TeamMember(user_id=uid, role=role) for uid, role in members.items()]
        db.session.add(team)
        db.session.commit()
        return team.id


def add_version(
    app,
    owner_id: int,
    name: str,
    version: int,
    *,
    team_id: int | None = None,
    scale: float = 1.0,
    visibility: str = "private",
    deleted: bool = False,
) -> int:
    """Version ``version`` of ``name``: a ten-feature Ridge whose answers are ``scale``
    times the diabetes target's (versions of different scales answer differently)."""
    artifact = sio.dumps(_fitted(scale))
    with app.app_context():
        record = MLModel(
            owner_id=owner_id,
            team_id=team_id,
            name=name,
            version=version,
            model_type="sklearn",
            task=TASK_REGRESSION,
            n_features=10,
            visibility=visibility,
            sha256=model_store().put(artifact),
            size_bytes=len(artifact),
            deleted_at=utcnow() if deleted else None,
        )
        db.session.add(record)
        db.session.commit()
        return record.id
