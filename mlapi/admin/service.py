"""Administration logic: users and roles, service figures, the default model."""

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..audit.service import record
from ..auth import devices
from ..auth.models import ROLE_ADMIN, SYSTEM_USERNAME, User
from ..errors import Conflict, LastActiveAdmin, ModelNotPublic, NotFound
from ..extensions import db
from ..pagination import Page, paginate
from ..predictions.models import Prediction
from ..registry.models import VISIBILITY_PUBLIC, MLModel, full_name

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
    _record_user_changes(user, changes)
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


def _record_user_changes(user: User, changes: dict) -> None:
    """One audit record per change that happens (setting a value it already has is none)."""
    if "role" in changes and changes["role"] != user.role:
        details = {"username": user.username, "role": changes["role"], "previous_role": user.role}
        record("user.role_changed", "user", user.id, details)
    if "is_active" in changes and changes["is_active"] != user.is_active:
        action = "user.reactivated" if changes["is_active"] else "user.deactivated"
        record(action, "user", user.id, {"username": user.username})


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
    model = db.session.get(MLModel, model_id)
    if model is None or model.deleted_at is not None:
        raise NotFound("No model with that id.")
    if model.visibility != VISIBILITY_PUBLIC:
        raise ModelNotPublic()
    if model.is_default:
        return model
    previous = db.session.scalar(select(MLModel.id).where(MLModel.is_default.is_(True)))
    details = {"full_name": full_name(model), "version": model.version}
    record("default_model.changed", "model", model.id, {**details, "previous_model_id": previous})
    db.session.execute(update(MLModel).where(MLModel.is_default.is_(True)).values(is_default=False))
    model.is_default = True
    try:
        db.session.commit()
    except IntegrityError as exc:  # another admin switched it at the same moment
        db.session.rollback()
        raise Conflict("The default model was changed at the same moment; try again.") from exc
    return model
