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
from ..timeutil import utcnow

TASK_REGRESSION = "regression"
TASK_CLASSIFICATION = "classification"
VISIBILITY_PRIVATE = "private"
VISIBILITY_PUBLIC = "public"


class MLModel(db.Model):
    __tablename__ = "ml_models"
    __table_args__ = (
        UniqueConstraint("owner_id", "name", "version", name="uq_ml_models_owner_name_version"),
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

    owner: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<MLModel {self.id} {self.name} v{self.version}>"


watch(MLModel)  # the default model is cached (mlapi/access_cache.py): any write forgets it
