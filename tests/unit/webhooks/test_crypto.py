"""Secrets are shown once, kept encrypted, and readable only with the server's key."""

import pytest
from sqlalchemy import text

from mlapi.extensions import db
from mlapi.webhooks import crypto

KEY = "a-secret-key-of-at-least-thirty-two-bytes!"


def test_a_secret_round_trips():
    secret = crypto.new_secret()
    assert crypto.decrypt(crypto.encrypt(secret, KEY), KEY) == secret


def test_secrets_are_random_and_long():
    first, second = crypto.new_secret(), crypto.new_secret()
    assert first != second
    assert first.startswith("whsec_")
    assert len(first) > 40


def test_encryption_is_not_deterministic_and_hides_the_secret():
    secret = crypto.new_secret()
    one, two = crypto.encrypt(secret, KEY), crypto.encrypt(secret, KEY)
    assert one != two
    assert secret not in one


def test_another_server_key_cannot_read_it():
    token = crypto.encrypt(crypto.new_secret(), KEY)
    with pytest.raises(crypto.SecretUnreadable, match="MLAPI_SECRET_KEY"):
        crypto.decrypt(token, KEY + "-rotated")


def test_the_database_never_holds_the_secret_in_plain_text(app, create_hook, auth_headers):
    secret = create_hook(auth_headers)["secret"]
    with app.app_context():
        stored = db.session.execute(text("SELECT * FROM webhooks")).one()
        assert all(secret not in str(value) for value in stored)
        assert crypto.decrypt(stored.secret_encrypted, app.config["SECRET_KEY"]) == secret
