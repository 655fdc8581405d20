"""``flask create-admin``: an operator creates an administrator from the command line."""

import pytest
from sqlalchemy import func, select

from mlapi.auth.models import User
from mlapi.extensions import db
from tests.fixtures import bearer

PASSWORD = "admin-password-1"


def create_admin(app, *args, stdin=None):
    return app.test_cli_runner().invoke(args=["create-admin", *args], input=stdin)


def users_named(app, username: str) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(select(User).where(User.username_key == username.lower())))


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def role_after_sign_in(client, username: str, password: str) -> str:
    login = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.get_json()
    return client.get("/api/v1/users/me",
                      headers=bearer(login.get_json()["access_token"])).get_json()["role"]


def test_create_admin_with_options(app, client):
    result = create_admin(app, "--username", "root", "--email", "root@example.com",
                          "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert "Created admin root" in result.output
    assert role_after_sign_in(client, "root", PASSWORD) == "admin"


def test_create_admin_asks_for_what_is_missing_and_hides_the_password(app, client):
    result = create_admin(app, stdin=f"root\nroot@example.com\n{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "Username:" in result.output
    assert "Email:" in result.output
    assert PASSWORD not in result.output
    assert role_after_sign_in(client, "root", PASSWORD) == "admin"


def test_create_admin_refuses_a_password_confirmation_that_differs(app):
    result = create_admin(app, "--username", "root", "--email", "root@example.com",
                          stdin=f"{PASSWORD}\nsomething-else\n")

    assert result.exit_code != 0
    assert users_named(app, "root") == []


@pytest.mark.parametrize(("option", "value", "named"), [
    ("--email", "not-an-email", "email"),
    ("--username", "root admin", "username"),
    ("--password", "short", "password"),
])
def test_create_admin_refuses_invalid_values_naming_them(app, option, value, named):
    values = {"--username": "root", "--email": "root@example.com", "--password": PASSWORD,
              option: value}
    before = user_count(app)

    result = create_admin(app, *[part for pair in values.items() for part in pair])

    assert result.exit_code != 0
    assert named in result.output
    assert user_count(app) == before


@pytest.mark.parametrize(("username", "email"), [
    ("taken", "new@example.com"),
    ("TAKEN", "new@example.com"),
    ("newcomer", "Taken@Example.com"),
])
def test_create_admin_refuses_a_taken_username_or_email(app, make_user, username, email):
    make_user("taken", email="taken@example.com")

    result = create_admin(app, "--username", username, "--email", email,
                          "--password", PASSWORD)

    assert result.exit_code != 0
    assert "already registered" in result.output
    assert [u.role for u in users_named(app, "taken")] == ["user"]
    assert users_named(app, "newcomer") == []
