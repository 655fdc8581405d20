"""The per-account sign-in budget's rows (mlapi/auth/sign_in_budget.py): old ones go."""

from datetime import timedelta

from sqlalchemy import select

from mlapi.auth import sign_in_budget
from mlapi.auth.models import SignInFailure
from mlapi.extensions import db
from mlapi.timeutil import utcnow

LOGIN = "/api/v1/auth/login"


def _accounts(app) -> set[str]:
    with app.app_context():
        return set(db.session.execute(select(SignInFailure.account)).scalars())


def _old_failure(app, account: str) -> None:
    with app.app_context():
        db.session.add(SignInFailure(account=account, at=utcnow() - timedelta(minutes=2)))
        db.session.commit()


def test_an_accounts_old_failures_go_at_its_next_attempt(app, client):
    account = sign_in_budget.account_key(None, "Someone")
    _old_failure(app, account)

    before = utcnow()
    client.post(LOGIN, json={"username": "someone", "password": "wrong-password"})

    with app.app_context():
        times = (
            db.session.execute(select(SignInFailure.at).where(SignInFailure.account == account))
            .scalars()
            .all()
        )
    assert len(times) == 1  # the old failure went; the one left is this attempt's
    assert before <= times[0] <= utcnow()


def test_every_accounts_old_failures_go_now_and_then(app, client, monkeypatch):
    monkeypatch.setattr(sign_in_budget, "PRUNE_EVERY", 1)
    sprayed = sign_in_budget.account_key(None, "sprayed-once")
    _old_failure(app, sprayed)

    client.post(LOGIN, json={"username": "another-name", "password": "wrong-password"})

    assert sprayed not in _accounts(app)
    assert sign_in_budget.account_key(None, "another-name") in _accounts(app)
