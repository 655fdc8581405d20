"""Signing out everywhere (POST /api/v1/auth/logout-all): every sign-in of the user ends,
the one that asked included; API keys go on."""

from sqlalchemy import func, select

from mlapi.auth.models import KnownDevice
from mlapi.extensions import db
from tests.unit.auth.test_password_change import (
    KEYS,
    LOGOUT_ALL,
    ME,
    change,
    works,
)
from tests.unit.helpers import assert_problem


def test_every_sign_in_ends_this_one_included(client, user, sign_in):
    laptop, phone = sign_in(user), sign_in(user)

    response = client.post(LOGOUT_ALL, headers=phone.headers)

    assert response.status_code == 204
    assert response.data == b""
    assert not works(client, laptop)
    assert not works(client, phone)
    assert works(client, sign_in(user))  # signing in again works


def test_api_keys_keep_working(client, tokens):
    key = client.post(KEYS, json={"name": "nightly"}, headers=tokens.headers).json["key"]

    client.post(LOGOUT_ALL, headers=tokens.headers)

    assert client.get(ME, headers={"X-API-Key": key}).status_code == 200


def test_it_ends_the_sign_in_a_password_change_kept(client, user, tokens, sign_in):
    change(client, tokens)
    assert works(client, tokens)

    client.post(LOGOUT_ALL, headers=tokens.headers)

    assert not works(client, tokens)


def test_an_api_key_cannot_sign_out_everywhere(client, tokens):
    key = client.post(KEYS, json={"name": "nightly"}, headers=tokens.headers).json["key"]

    assert_problem(client.post(LOGOUT_ALL, headers={"X-API-Key": key}), 403, "forbidden")
    assert works(client, tokens)


def test_it_forgets_the_accounts_known_devices(app, client, user, sign_in):
    """A lost laptop's device cookie no longer spares it the account's sign-in budget."""
    tokens = sign_in(user)

    client.post(LOGOUT_ALL, headers=tokens.headers)

    with app.app_context():
        held = select(func.count()).where(KnownDevice.user_id == user.id)
        assert db.session.scalar(held) == 0


def test_a_password_change_forgets_every_known_device_but_its_own(app, client, user, sign_in):
    sign_in(user)
    client.delete_cookie("mlapi_device", path="/api/v1/auth")
    tokens = sign_in(user)  # a second device; the client keeps its cookie

    assert change(client, tokens).status_code == 204

    with app.app_context():
        kept = db.session.scalars(select(KnownDevice.id).where(KnownDevice.user_id == user.id))
        assert list(kept) == [client.get_cookie("mlapi_device", path="/api/v1/auth").value[:32]]
