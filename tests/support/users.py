"""People and their sessions: accounts made directly, signed in through the API."""

from dataclasses import dataclass

import pytest

from mlapi.auth import service as accounts
from mlapi.extensions import db
from tests.support.settings import TEST_PASSWORD


@dataclass
class TestUser:
    id: int
    username: str
    email: str
    password: str


@dataclass
class Tokens:
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_user(app, faker):
    """Create an account directly (not through the API) and return its credentials."""

    def make(
        username: str | None = None,
        *,
        password: str = TEST_PASSWORD,
        email: str | None = None,
        role: str = "user",
        is_active: bool = True,
        full_name: str | None = None,
    ) -> TestUser:
        username = username or f"{faker.user_name()}{faker.random_int(10, 99999)}"[:32]
        email = email or f"{username.lower()}@{faker.domain_name()}"
        with app.app_context():
            user = accounts.register(username, email, password, full_name, role=role)
            if not is_active:
                user.is_active = False
                db.session.commit()
            return TestUser(user.id, user.username, user.email, password)

    return make


@pytest.fixture
def sign_in(client):
    """Sign in through the API and return the token pair."""

    def sign_in(user: TestUser) -> Tokens:
        response = client.post(
            "/api/v1/auth/login", json={"username": user.username, "password": user.password}
        )
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        return Tokens(body["access_token"], body["refresh_token"])

    return sign_in


@pytest.fixture
def user(make_user) -> TestUser:
    return make_user()


@pytest.fixture
def tokens(user, sign_in) -> Tokens:
    return sign_in(user)


@pytest.fixture
def auth_headers(tokens) -> dict[str, str]:
    return tokens.headers


@pytest.fixture
def admin(make_user) -> TestUser:
    return make_user(role="admin")


@pytest.fixture
def admin_headers(admin, sign_in) -> dict[str, str]:
    return sign_in(admin).headers
