"""``flask create-admin`` and ``flask promote``: an operator makes administrators from the
command line."""

import click
import pytest
from sqlalchemy import func, select

from mlapi.admin.cli import create_admin as create_admin_command
from mlapi.auth.models import SYSTEM_USERNAME, User
from mlapi.extensions import db
from tests.support.users import bearer

PASSWORD = "admin-password-1"
OPTIONS = ("--username", "root", "--email", "root@example.com")


def create_admin(app, *args, stdin=None):
    return app.test_cli_runner().invoke(args=["create-admin", *args], input=stdin)


def promote(app, *args):
    return app.test_cli_runner().invoke(args=["promote", *args])


def users_named(app, username: str) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(select(User).where(User.username_key == username.lower())))


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def role_after_sign_in(client, username: str, password: str) -> str:
    login = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.get_json()
    return client.get(
        "/api/v1/users/me", headers=bearer(login.get_json()["access_token"])
    ).get_json()["role"]


def test_create_admin_with_options(app, client):
    result = create_admin(app, *OPTIONS, "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert "Created admin root" in result.output
    assert role_after_sign_in(client, "root", PASSWORD) == "admin"


def test_a_password_option_is_warned_about(app):
    result = create_admin(app, *OPTIONS, "--password", PASSWORD)

    assert "process list" in result.stderr
    assert "--password-stdin" in result.stderr


def test_create_admin_asks_for_what_is_missing_and_hides_the_password(app, client):
    result = create_admin(app, stdin=f"root\nroot@example.com\n{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "Username:" in result.output
    assert "Email:" in result.output
    assert PASSWORD not in result.output
    assert "process list" not in result.output
    assert role_after_sign_in(client, "root", PASSWORD) == "admin"


@pytest.mark.parametrize(
    ("answers", "complaint"),
    [
        (["root admin", "root", "root@example.com", PASSWORD, PASSWORD], "Use 3 to 32 letters"),
        (["root", "not-an-email", "root@example.com", PASSWORD, PASSWORD], "Not a valid email"),
        (
            ["root", "root@example.com", "short", PASSWORD, PASSWORD],
            "Use 10 to 128 characters",
        ),
        (
            ["root", "root@example.com", "rootroot2026", PASSWORD, PASSWORD],
            "Too easy to guess. Repeats like",
        ),
        (
            ["root", "root@example.com", PASSWORD, "something-else", PASSWORD, PASSWORD],
            "The two entered values do not match",
        ),
    ],
    ids=["username", "email", "password", "weak password", "confirmation"],
)
def test_a_value_that_does_not_fit_is_asked_again(app, client, answers, complaint):
    result = create_admin(app, stdin="\n".join(answers) + "\n")

    assert result.exit_code == 0, result.output
    assert f"Error: {complaint}" in result.output
    assert "short\n" not in result.output  # a hidden value stays hidden in the complaint
    assert "rootroot2026" not in result.output
    assert role_after_sign_in(client, "root", PASSWORD) == "admin"


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        (["Taken", "root", "root@example.com"], "username"),
        (["root", "TAKEN@example.com", "root@example.com"], "email"),
    ],
)
def test_a_taken_value_is_named_and_asked_again(app, make_user, answers, field):
    make_user("taken", email="taken@example.com")

    result = create_admin(app, stdin="\n".join([*answers, PASSWORD, PASSWORD]) + "\n")

    assert result.exit_code == 0, result.output
    assert f"Error: That {field} is already registered." in result.output
    assert [u.role for u in users_named(app, "root")] == ["admin"]


def test_the_password_can_come_from_standard_input(app, client):
    result = create_admin(app, *OPTIONS, "--password-stdin", stdin=f"{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "process list" not in result.output
    assert role_after_sign_in(client, "root", PASSWORD) == "admin"


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("--email", "root@example.com", "--password-stdin"), f"{PASSWORD}\n"),
        ((*OPTIONS, "--password-stdin", "--password", PASSWORD), f"{PASSWORD}\n"),
        ((*OPTIONS, "--password-stdin"), ""),
        ((*OPTIONS, "--password-stdin"), "short\n"),
    ],
    ids=["without username", "with --password too", "nothing on stdin", "too short"],
)
def test_password_stdin_is_refused_when_it_cannot_work(app, args, stdin):
    before = user_count(app)

    result = create_admin(app, *args, stdin=stdin)

    assert result.exit_code == 2
    assert "--password-stdin" in result.output
    assert "Username:" not in result.output
    assert user_count(app) == before


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--email", "not-an-email", "email"),
        ("--username", "root admin", "username"),
        ("--password", "short", "password"),
    ],
)
def test_an_invalid_option_fails_at_once_naming_it(app, option, value, named):
    values = {
        "--username": "root",
        "--email": "root@example.com",
        "--password": PASSWORD,
        option: value,
    }
    del values["--username" if option != "--username" else "--email"]  # one left to ask
    before = user_count(app)

    result = create_admin(app, *[part for pair in values.items() for part in pair])

    assert result.exit_code == 2
    assert f"Invalid value for --{named}: " in result.output
    assert "Username:" not in result.output  # nothing was asked before
    assert "Email:" not in result.output
    assert user_count(app) == before


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [
        ("taken", "new@example.com", "username"),
        ("TAKEN", "new@example.com", "username"),
        ("newcomer", "Taken@Example.com", "email"),
    ],
)
def test_create_admin_refuses_a_taken_username_or_email_naming_it(
    app, make_user, username, email, field
):
    make_user("taken", email="taken@example.com")

    result = create_admin(app, "--username", username, "--email", email, "--password", PASSWORD)

    assert result.exit_code != 0
    assert f"That {field} is already registered." in result.output
    assert [u.role for u in users_named(app, "taken")] == ["user"]
    assert users_named(app, "newcomer") == []


def test_every_option_is_explained(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "--help"])

    options = [p for p in create_admin_command.params if isinstance(p, click.Option)]
    assert all(option.help for option in options)
    for option in options:
        assert option.opts[0] in result.output
    assert "process list" in result.output


def test_promote_makes_a_user_an_admin_at_once(app, client, make_user, sign_in):
    bob = make_user("bob")
    headers = sign_in(bob).headers
    assert client.get("/api/v1/admin/users", headers=headers).status_code == 403

    result = promote(app, "BOB")

    assert result.exit_code == 0, result.output
    assert "bob is now an administrator." in result.output
    assert client.get("/api/v1/admin/users", headers=headers).status_code == 200


@pytest.mark.parametrize("username", ["ghost", SYSTEM_USERNAME])
def test_promote_names_an_unknown_user_in_one_line(app, username):
    result = promote(app, username)

    assert result.exit_code == 1
    assert result.output == f"Error: No user named '{username}'.\n"


def test_promoting_an_admin_changes_nothing(app, make_user):
    make_user("root", role="admin")

    result = promote(app, "root")

    assert result.exit_code == 0
    assert "root is an administrator already." in result.output
    assert [u.role for u in users_named(app, "root")] == ["admin"]
