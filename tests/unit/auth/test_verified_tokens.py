"""A token's signature is checked once per process, and the cache never lets through a
token that the full check would refuse (mlapi/auth/verified_tokens.py)."""

import time
from datetime import timedelta

import flask_jwt_extended.jwt_manager
from flask_jwt_extended import create_access_token

from mlapi import create_app
from mlapi.extensions import db
from tests.support.users import bearer
from tests.unit.auth.test_tokens import ME, OTHER_SECRET, with_payload
from tests.unit.helpers import assert_problem


def test_a_token_is_verified_once_then_answered_from_the_cache(client, auth_headers, monkeypatch):
    verified = []
    decode = flask_jwt_extended.jwt_manager._decode_jwt

    def counting(**kwargs):
        verified.append(kwargs["encoded_token"])
        return decode(**kwargs)

    monkeypatch.setattr(flask_jwt_extended.jwt_manager, "_decode_jwt", counting)
    for _ in range(3):
        assert client.get(ME, headers=auth_headers).status_code == 200

    assert len(verified) <= 1  # the sign-in's own first use may already have cached it


def test_a_cached_token_is_refused_once_it_expires(app, client, user):
    with app.app_context():
        token = create_access_token(identity=str(user.id), expires_delta=timedelta(seconds=1))
    assert client.get(ME, headers=bearer(token)).status_code == 200

    time.sleep(1.1)

    assert_problem(client.get(ME, headers=bearer(token)), 401, "token_expired")


def test_a_changed_copy_of_a_cached_token_is_still_refused(client, make_user, tokens):
    assert client.get(ME, headers=tokens.headers).status_code == 200
    forged = with_payload(tokens.access, sub=str(make_user().id))

    assert_problem(client.get(ME, headers=bearer(forged)), 401, "token_invalid")


def test_a_token_another_app_verified_is_refused_by_an_app_with_another_key(
    app_config, client, auth_headers, tmp_path
):
    assert client.get(ME, headers=auth_headers).status_code == 200
    other = create_app(
        {**app_config, "SECRET_KEY": OTHER_SECRET, "INSTANCE_PATH": str(tmp_path / "other-host")}
    )
    try:
        assert_problem(other.test_client().get(ME, headers=auth_headers), 401, "token_invalid")
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
