"""Who callers are, cached per process and dropped when one database counter moves
(docs/decisions.md#accounts-and-tokens).

Each domain names the models whose writes bump the counter with ``watch``. Entries are
detached snapshots, read and never re-attached; one loaded while the counter moved is not
kept (it is stored only if the counter the request saw is still the cache's).
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Integer, String, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .database import autocommit_scalar
from .extensions import db

COUNTER = "access"
_MISSING = object()


class ChangeCounter(db.Model):
    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


_READ_COUNTER = select(ChangeCounter.value).where(ChangeCounter.name == COUNTER)


class AccessCache:
    """Named maps (``users``, ``revoked``, ``keys``, ``default_model``) valid for one value
    of the counter. Thread-safe: ``flask run`` serves requests from several threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._maps: dict[str, dict] = {}

    def sync(self) -> int | None:
        """Read the counter (once per request) and drop the cache when it moved."""
        if "access_generation" not in g:
            # One autocommit round trip, without the ORM's per-call machinery: this runs
            # on every request, and reads the latest committed value.
            value = autocommit_scalar(_READ_COUNTER)
            with self._lock:
                if value != self._generation:
                    self._generation, self._maps = value, {}
            g.access_generation = value
        return g.access_generation

    def get(self, space: str, key, default=None):
        generation = self.sync()
        with self._lock:
            if generation is None or generation != self._generation:
                return default
            return self._maps.get(space, {}).get(key, default)

    def put(self, space: str, key, value) -> None:
        generation = self.sync()
        with self._lock:
            if generation is not None and generation == self._generation:
                self._maps.setdefault(space, {})[key] = value

    def cached(self, space: str, key, load):
        """The cached value, or ``load()``'s (detached from the session) remembered."""
        value = self.get(space, key, _MISSING)
        if value is _MISSING:
            value = load()
            if value is not None and hasattr(value, "_sa_instance_state"):
                db.session.expunge(value)
            self.put(space, key, value)
        return value


def access_cache() -> AccessCache:
    return current_app.extensions["mlapi.access_cache"]


@dataclass(frozen=True)
class _Watch:
    added: bool
    deleted: bool
    changed: Callable[[Session, object], bool] | None


_WATCHED: dict[type, _Watch] = {}


def _modified(session: Session, obj) -> bool:
    return session.is_modified(obj)


def watch(model: type, *, added: bool = True, deleted: bool = True,
          changed: Callable[[Session, object], bool] | None = _modified) -> None:
    """Declare that writing rows of ``model`` can change who a caller is or what they may
    do: adding one (``added``), deleting one (``deleted``), or a change for which
    ``changed(session, obj)`` is true (None: changes never matter). Each domain declares
    its own models (beside them), so this module knows none."""
    _WATCHED[model] = _Watch(added, deleted, changed)


def _watched(objects):
    """(object, its model's watch) for the objects of watched models."""
    return [(obj, _WATCHED[type(obj)]) for obj in objects if type(obj) in _WATCHED]


def _changes_access(session: Session) -> bool:
    return (any(found.added for _, found in _watched(session.new))
            or any(found.deleted for _, found in _watched(session.deleted))
            or any(found.changed is not None and found.changed(session, obj)
                   for obj, found in _watched(session.dirty)))


@event.listens_for(Session, "before_flush")
def _bump_on_access_changes(session: Session, _context, _instances) -> None:
    if _changes_access(session):
        session.connection().execute(update(ChangeCounter).where(
            ChangeCounter.name == COUNTER).values(value=ChangeCounter.value + 1))


def _forget_generation() -> None:
    """The counter is read once per request: an app context can outlive one (tests keep
    one open), so the request's reading is dropped when the next request starts."""
    g.pop("access_generation", None)


def init_access_cache(app: Flask) -> None:
    app.extensions["mlapi.access_cache"] = AccessCache()
    app.before_request(_forget_generation)
