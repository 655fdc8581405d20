"""Who callers are, cached per process and dropped when one database counter moves
(docs/decisions.md#accounts-and-tokens).

Each domain names the models whose writes bump the counter with ``watch``; a bump happens in
the transaction of the write (in ``before_flush`` for the ORM, in ``do_orm_execute`` for
bulk UPDATE/DELETE statements) and, on PostgreSQL, sends ``NOTIFY`` with the new value,
delivered on commit only. How a process learns that the counter moved:

- its own commits: at once, after the commit (``after_commit``);
- other processes' on PostgreSQL: the listener thread (mlapi/access_listener.py), as long as
  its heartbeat is fresh; while it is not, every request reads the counter, as on SQLite.

Entries are detached snapshots, read and never re-attached. Every drop moves the cache's
epoch; a fill is stored only under the epoch its request started in, so an entry loaded
while a change committed is discarded, not stored.
"""

import threading
from dataclasses import dataclass

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Integer, String, Text, cast, event, func, inspect, select, update
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from .database import read_scalar
from .extensions import db

COUNTER = "access"
CHANNEL = "mlapi_access"  # NOTIFY is scoped to one database already: one name is enough
_MISSING = object()
_BUMPED = "mlapi.access_bumped"  # session.info: the counter value this transaction set


class ChangeCounter(db.Model):
    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


_READ_COUNTER = select(ChangeCounter.value).where(ChangeCounter.name == COUNTER)
_BUMP = (
    update(ChangeCounter)
    .where(ChangeCounter.name == COUNTER)
    .values(value=ChangeCounter.value + 1)
    .returning(ChangeCounter.value)
)


class AccessCache:
    """Named maps (``users``, ``revoked``, ``keys``, ``default_model``) valid for one value
    of the counter. Thread-safe: ``flask run`` serves requests from several threads.

    ``listener``: anything with ``connected() -> bool`` (mlapi/access_listener.py); while it
    says True, requests trust the cache without reading the counter."""

    def __init__(self):
        self._lock = threading.Lock()
        self._value: int | None = None  # the counter as last seen; None: nothing is cached
        self._epoch = 0  # moves with every drop
        self._maps: dict[str, dict] = {}
        self.listener = None

    def changed(self, value: int | None) -> None:
        """The counter is now ``value``: drop everything unless that value was seen."""
        with self._lock:
            if value != self._value:
                self._value, self._epoch, self._maps = value, self._epoch + 1, {}

    def reset(self, value: int | None) -> None:
        """Drop everything (a listener that (re)connected cannot know what it missed)."""
        with self._lock:
            self._value, self._epoch, self._maps = value, self._epoch + 1, {}

    def sync(self) -> int:
        """The epoch this request works in, taken once per request; the counter is read
        first (one autocommit round trip; on SQLite a plain SELECT on the hot engine's
        connection) unless a connected listener keeps the cache."""
        if "access_epoch" not in g:
            listener = self.listener
            if listener is None or not listener.connected():
                self.changed(read_scalar(_READ_COUNTER))
            with self._lock:
                g.access_epoch = self._epoch
        return g.access_epoch

    def get(self, space: str, key, default=None):
        epoch = self.sync()
        with self._lock:
            if self._value is None or epoch != self._epoch:
                return default
            return self._maps.get(space, {}).get(key, default)

    def put(self, space: str, key, value) -> None:
        epoch = self.sync()
        with self._lock:
            if self._value is not None and epoch == self._epoch:
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
    changed: bool
    quiet: frozenset[str]


_WATCHED: dict[type, _Watch] = {}


def watch(
    model: type,
    *,
    added: bool = True,
    deleted: bool = True,
    changed: bool = True,
    quiet: frozenset[str] = frozenset(),
) -> None:
    """Declare that writing rows of ``model`` can change who a caller is or what they may
    do: adding one (``added``), deleting one (``deleted``), or changing one (``changed``)
    in a column not named in ``quiet`` (a write to those alone changes nothing a cached
    answer says). Each domain declares its own models (beside them), so this module knows
    none."""
    _WATCHED[model] = _Watch(added, deleted, changed, frozenset(quiet))


def _watched(objects):
    """(object, its model's watch) for the objects of watched models."""
    return [(obj, _WATCHED[type(obj)]) for obj in objects if type(obj) in _WATCHED]


def _loud_change(session: Session, obj, found: _Watch) -> bool:
    if not found.changed or not session.is_modified(obj):
        return False
    return any(
        attr.history.has_changes() for attr in inspect(obj).attrs if attr.key not in found.quiet
    )


def _changes_access(session: Session) -> bool:
    return (
        any(found.added for _, found in _watched(session.new))
        or any(found.deleted for _, found in _watched(session.deleted))
        or any(_loud_change(session, obj, found) for obj, found in _watched(session.dirty))
    )


def _bump(session: Session) -> None:
    """Move the counter in the session's transaction and, on PostgreSQL, announce the new
    value to every listener (NOTIFY is delivered on commit, never on rollback)."""
    connection = session.connection()
    value = connection.execute(_BUMP).scalar()
    if value is not None and connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_notify(CHANNEL, cast(value, Text))))
    session.info[_BUMPED] = value


@event.listens_for(Session, "before_flush")
def _bump_on_access_changes(session: Session, _context, _instances) -> None:
    if _changes_access(session):
        _bump(session)


def _bulk_changes_access(state: ORMExecuteState) -> bool:
    """A bulk UPDATE or DELETE of a watched model (these bypass the flush). An UPDATE
    counts unless every column it sets is quiet; when its columns cannot be told, it counts."""
    mapper = state.bind_mapper
    found = _WATCHED.get(mapper.class_) if mapper is not None else None
    if found is None:
        return False
    if state.is_delete:
        return found.deleted
    values = getattr(state.statement, "_values", None)
    if not found.changed or not values:
        return found.changed
    return any(getattr(column, "key", column) not in found.quiet for column in values)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_access_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and _bulk_changes_access(state):
        _bump(state.session)


@event.listens_for(Session, "after_commit")
def _drop_own_changes(session: Session) -> None:
    """This process acts on its own change at once, without waiting for its NOTIFY."""
    value = session.info.pop(_BUMPED, _MISSING)
    if value is not _MISSING and has_app_context():
        cache = current_app.extensions.get("mlapi.access_cache")
        if cache is not None:
            cache.changed(value)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_bump(session: Session) -> None:
    """Any rollback, of a savepoint too: a value rolled back will be taken again by the next
    bump, so this process must not record it as seen (its notification would be ignored)."""
    session.info.pop(_BUMPED, None)


def forget_epoch() -> None:
    """A step of ``mlapi.pipeline``. The epoch is taken once per request: an app context
    can outlive one (tests keep one open), so the request's one is dropped when the next
    request starts. (``g`` looked up once: a call through its proxy costs more.)"""
    g._get_current_object().pop("access_epoch", None)


def init_access_cache(app: Flask) -> None:
    app.extensions["mlapi.access_cache"] = AccessCache()
