"""Model records. Artifacts live in the model store, addressed by ``sha256``."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..access_cache import watch
from ..auth.models import User
from ..extensions import db
from ..teams.models import Team
from ..timeutil import utcnow

TASK_REGRESSION = "regression"
TASK_CLASSIFICATION = "classification"
VISIBILITY_PRIVATE = "private"
VISIBILITY_PUBLIC = "public"


class MLModel(db.Model):
    __tablename__ = "ml_models"
    __table_args__ = (
        # Versions count per namespace: the owner's for a user's model, the team's for a
        # team's (a partial unique index each; NULL team ids would never collide).
        Index(
            "uq_ml_models_user_name_version",
            "owner_id",
            "name",
            "version",
            unique=True,
            sqlite_where=text("team_id IS NULL"),
            postgresql_where=text("team_id IS NULL"),
        ),
        Index(
            "uq_ml_models_team_name_version",
            "team_id",
            "name",
            "version",
            unique=True,
            sqlite_where=text("team_id IS NOT NULL"),
            postgresql_where=text("team_id IS NOT NULL"),
        ),
        # At most one default model: a partial unique index on the flag.
        Index(
            "uq_ml_models_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )
    policy_kind = "model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # A team's model: the team decides access; ``owner`` is who uploaded the name's
    # versions (docs/teams.md). ``uploaded_by`` is who uploaded this version.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(
        ForeignKey("users.id"), default=lambda context: context.get_current_parameters()["owner_id"]
    )
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    model_type: Mapped[str] = mapped_column(String(32))
    task: Mapped[str] = mapped_column(String(32))
    n_features: Mapped[int] = mapped_column(Integer)
    feature_names: Mapped[list | None] = mapped_column(JSON)
    classes: Mapped[list | None] = mapped_column(JSON)
    visibility: Mapped[str] = mapped_column(String(16), default=VISIBILITY_PRIVATE)
    description: Mapped[str | None] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
    team: Mapped[Team | None] = relationship()

    def __repr__(self) -> str:
        return f"<MLModel {self.id} {self.name} v{self.version}>"


def namespace_of(model: MLModel) -> str:
    """The user or team the model's name lives under."""
    return model.team.name if model.team_id is not None else model.owner.username


def full_name(model: MLModel) -> str:
    """``<owner or team>/<name>``: the team's name for a team's model, else the owner's."""
    return f"{namespace_of(model)}/{model.name}"


class ModelAlias(db.Model):
    """A name for one version of a model name, e.g. ``production`` -> version 2.

    ``name_id`` is the id of the name's version-1 record (tombstones stay, so it never
    goes): moving the name into a team carries its aliases unchanged."""

    __tablename__ = "model_aliases"
    __table_args__ = (UniqueConstraint("name_id", "alias", name="uq_model_aliases_name_alias"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_id: Mapped[int] = mapped_column(ForeignKey("ml_models.id"), index=True)
    alias: Mapped[str] = mapped_column(String(32))
    model_id: Mapped[int] = mapped_column(ForeignKey("ml_models.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    model: Mapped[MLModel] = relationship(foreign_keys=[model_id])


watch(MLModel)  # the default model is cached (mlapi/access_cache.py): any write forgets it
watch(ModelAlias)  # which version an alias names is cached with the callers' snapshots
