"""Each account's budget of failed sign-ins, counted in the database with or without Redis
(docs/rate-limits.md#password-guessing-a-budget-per-account-and-known-devices).

``reserve`` counts an attempt before its password is checked (``release`` takes it back when
the password was right), serialised per account, so concurrent guesses cannot all pass one
check.
"""

import hashlib
import logging
import math
import time
from datetime import timedelta

from flask import current_app, g
from limits import parse_many
from sqlalchemy import delete, select, text

from ..errors import ApiError
from ..extensions import db
from ..timeutil import utcnow
from .models import SignInFailure, User

log = logging.getLogger("mlapi.limits")

SETTING = "RATELIMIT_LOGIN_ACCOUNT"
PRUNE_EVERY = 64  # attempts
SLOW_DOWN = (
    "Too many failed sign-ins for this account. Retry after the number of seconds "
    "in the Retry-After header."
)


class AccountBudgetSpent(ApiError):
    status, code, detail = 429, "rate_limited", SLOW_DOWN


def account_key(user: User | None, identifier: str) -> str:
    """A digest naming the budget: the account's, or the unknown identifier's."""
    name = f"user:{user.id}" if user is not None else f"name:{identifier.casefold()}"
    return hashlib.sha256(name.encode()).hexdigest()


def reserve(account: str) -> int:
    """Count this attempt against the account's budget and return its row id (pass it to
    ``release`` when the password was right); 429 ``AccountBudgetSpent`` when spent."""
    windows = parse_many(current_app.config[SETTING])
    now = utcnow()
    _serialise(account)
    attempt = SignInFailure(account=account, at=now)
    db.session.add(attempt)
    db.session.flush()
    newest_first = (
        db.session.execute(
            select(SignInFailure.at)
            .where(SignInFailure.account == account, SignInFailure.id != attempt.id)
            .order_by(SignInFailure.at.desc())
            .limit(max(window.amount for window in windows))
        )
        .scalars()
        .all()
    )
    spent = []
    for window in windows:
        length = timedelta(seconds=window.get_expiry())
        recent = [at for at in newest_first if at > now - length]
        if len(recent) >= window.amount:
            # Free again once the window.amount-th newest failure leaves the window.
            spent.append((recent[window.amount - 1] + length - now, window))
    if spent:
        db.session.rollback()
        _refuse(*max(spent, key=lambda pair: pair[0]))
    longest = max(timedelta(seconds=window.get_expiry()) for window in windows)
    expired = SignInFailure.at <= now - longest
    # This account's old rows at each attempt (indexed); every account's now and then, so
    # the names a guesser sprays once each do not stay forever.
    everyone = attempt.id % PRUNE_EVERY == 0
    db.session.execute(
        delete(SignInFailure).where(
            expired, *(() if everyone else (SignInFailure.account == account,))
        )
    )
    db.session.commit()
    return attempt.id


def release(attempt_id: int) -> None:
    """The password was right (or the account is inactive): the attempt does not count."""
    db.session.execute(delete(SignInFailure).where(SignInFailure.id == attempt_id))
    db.session.commit()


def record_failure(account: str) -> None:
    """A wrong password from a known device: counted, never refused."""
    db.session.add(SignInFailure(account=account, at=utcnow()))
    db.session.commit()


def _serialise(account: str) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        lock = int.from_bytes(bytes.fromhex(account[:16]), "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})


def _refuse(wait: timedelta, window) -> None:
    seconds = max(1, math.ceil(wait.total_seconds()))
    headers = {
        "Retry-After": str(seconds),
        "X-RateLimit-Limit": str(window.amount),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(time.time()) + seconds),
    }
    g.rate_limit_headers = headers  # they replace the per-address budget's (mlapi.limits)
    log.warning(
        "failed sign-ins for one account exceed its budget (request_id=%s)", g.get("request_id")
    )
    raise AccountBudgetSpent(headers=headers)
