"""Password hashing: argon2id at production cost, and no shortcut for unknown accounts."""

import re

import pytest
from argon2 import PasswordHasher

from mlapi.auth.models import User
from mlapi.auth.passwords import Passwords
from mlapi.config import load_config
from mlapi.extensions import db

CHEAP = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
PRODUCTION_ENV = {"MLAPI_ENV": "production", "MLAPI_SECRET_KEY": "p" * 32}


def cost_of(password_hash: str) -> dict[str, int]:
    """``$argon2id$v=19$m=19456,t=2,p=1$...`` -> ``{"m": 19456, "t": 2, "p": 1}``."""
    params = re.search(r"\$m=(\d+),t=(\d+),p=(\d+)\$", password_hash)
    return dict(zip("mtp", map(int, params.groups()), strict=True))


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords(**CHEAP)


def test_hash_is_argon2id_and_salted(passwords):
    first, second = passwords.hash("correct horse"), passwords.hash("correct horse")

    assert first.startswith("$argon2id$")
    assert first != second
    assert "correct horse" not in first


def test_right_password_verifies(passwords):
    assert passwords.verify(passwords.hash("correct horse"), "correct horse") is True


@pytest.mark.parametrize("attempt", ["wrong horse", "Correct horse", "correct horse ", ""])
def test_wrong_password_does_not_verify(passwords, attempt):
    assert passwords.verify(passwords.hash("correct horse"), attempt) is False


@pytest.mark.parametrize("stored", ["!", "", "not-a-hash", "$argon2id$v=19$m=1024,t=1,p=1$x$y"])
def test_unusable_stored_hash_never_verifies(passwords, stored):
    assert passwords.verify(stored, "anything") is False


def test_unknown_account_never_verifies_not_even_with_the_dummy_password(passwords):
    assert passwords.verify(None, "mlapi-dummy-password-for-timing") is False
    assert passwords.verify(None, "anything") is False


def test_unknown_account_still_pays_for_a_full_verification(passwords, monkeypatch):
    """Same work whether or not the account exists, so timing reveals nothing."""
    verified = []
    real_verify = PasswordHasher.verify

    def spy(self, password_hash, password):
        verified.append(password_hash)
        return real_verify(self, password_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)

    passwords.verify(None, "anything")

    assert len(verified) == 1
    assert verified[0].startswith("$argon2id$")


def test_production_cost_meets_the_owasp_minimum():
    production = Passwords(**load_config(environ=PRODUCTION_ENV)["PASSWORD_HASH"])

    cost = cost_of(production.hash("correct horse"))

    assert cost["m"] >= 19 * 1024
    assert cost["t"] >= 2
    assert cost["p"] >= 1


def test_hash_made_at_production_cost_verifies_under_any_configured_cost(passwords):
    production = Passwords(**load_config(environ=PRODUCTION_ENV)["PASSWORD_HASH"])

    assert passwords.verify(production.hash("correct horse"), "correct horse") is True


def test_login_upgrades_a_hash_made_at_an_older_cost(app, client, user):
    old_hasher = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    with app.app_context():
        db.session.get(User, user.id).password_hash = old_hasher.hash(user.password)
        db.session.commit()

    response = client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": user.password}
    )

    assert response.status_code == 200
    with app.app_context():
        upgraded = db.session.get(User, user.id).password_hash
    assert cost_of(upgraded) == {
        "m": app.config["PASSWORD_HASH"]["memory_cost"],
        "t": app.config["PASSWORD_HASH"]["time_cost"],
        "p": app.config["PASSWORD_HASH"]["parallelism"],
    }
