"""Administration logic: users and roles, service figures, the default model."""

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..auth import devices
from ..auth.models import ROLE_ADMIN, SYSTEM_USERNAME, User
from ..errors import Conflict, LastActiveAdmin, ModelNotPublic, NotFound
from ..extensions import db
from ..pagination import Page, paginate
from ..predictions.models import Prediction
from ..registry.models import VISIBILITY_PUBLIC, MLModel

_PEOPLE = User.username_key != SYSTEM_USERNAME  # the system account is not a person


def list_users(page: int, per_page: int) -> Page:
    stmt = select(User).where(_PEOPLE).order_by(User.created_at.desc(), User.id.desc())
    return paginate(stmt, page, per_page)


def find_user(user_id: int) -> User:
    """A person's account (not the system's): 404 when there is none."""
    user = db.session.execute(select(User).where(User.id == user_id, _PEOPLE)).scalar_one_or_none()
    if user is None:
        raise NotFound("No user with that id.")
    return user


def find_user_named(username: str) -> User | None:
    """A person's account by username in any letter case; None for the system account."""
    return db.session.execute(
        select(User).where(User.username_key == username.lower(), _PEOPLE)
    ).scalar_one_or_none()


def update_user(user_id: int, changes: dict) -> User:
    """Change a user's role or active flag, keeping at least one active admin.

    The check and the change share one transaction: the active admins are locked first
    (``FOR UPDATE`` on PostgreSQL), the change is written, and the admins left are counted
    before commit. See docs/decisions.md for what this guarantees on each database.
    """
    user = find_user(user_id)
    db.session.execute(select(User.id).where(*_active_admin()).with_for_update()).all()
    if user.is_active and changes.get("is_active") is False:
        # Deactivation ends every sign-in: the session generation moves on (a hook on
        # User.is_active) and the known devices are forgotten. API keys are only suspended.
        devices.forget_all(user.id)
    for name, value in changes.items():
        setattr(user, name, value)
    db.session.flush()
    remaining = db.session.execute(
        select(func.count()).select_from(User).where(*_active_admin())
    ).scalar_one()
    if remaining == 0:
        db.session.rollback()
        raise LastActiveAdmin()
    db.session.commit()
    return user


def _active_admin():
    return User.role == ROLE_ADMIN, User.is_active.is_(True)


def stats(endpoints: list[dict]) -> dict:
    def count(model, *where) -> int:
        return db.session.execute(
            select(func.count()).select_from(model).where(*where)
        ).scalar_one()

    return {
        "users": count(User, _PEOPLE),
        "models": count(MLModel, MLModel.deleted_at.is_(None)),
        "predictions": count(Prediction),
        "endpoints": endpoints,
    }


def set_default_model(model_id: int) -> MLModel:
    """Make a live public model the default; the old one stops being it in the same
    transaction (the partial unique index allows one default at a time)."""
    record = db.session.get(MLModel, model_id)
    if record is None or record.deleted_at is not None:
        raise NotFound("No model with that id.")
    if record.visibility != VISIBILITY_PUBLIC:
        raise ModelNotPublic()
    if record.is_default:
        return record
    db.session.execute(update(MLModel).where(MLModel.is_default.is_(True)).values(is_default=False))
    record.is_default = True
    try:
        db.session.commit()
    except IntegrityError as exc:  # another admin switched it at the same moment
        db.session.rollback()
        raise Conflict("The default model was changed at the same moment; try again.") from exc
    return record
