"""Steps and state every feature shares: who is in the scenario and what they were told.

A scenario's people (Alice, Bob, …) get accounts from the shared ``make_user`` fixture
and sign in through the API; every request goes through the shared Flask test client.
"""

from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then

from tests.fixtures import TEST_PASSWORD, TestUser, Tokens

PROBLEM_TYPE = "application/problem+json"


@dataclass
class Conversation:
    """The people of one scenario, their sessions, and the answers they got."""

    client: object
    make_user: object
    sign_in: object
    people: dict[str, TestUser] = field(default_factory=dict)
    sessions: dict[tuple[str, str], Tokens] = field(default_factory=dict)
    responses: list = field(default_factory=list)

    def person(self, name: str, password: str = TEST_PASSWORD) -> TestUser:
        if name not in self.people:
            self.people[name] = self.make_user(name.lower(), password=password,
                                               email=f"{name.lower()}@example.com")
        return self.people[name]

    def session(self, name: str, device: str = "default") -> Tokens:
        if (name, device) not in self.sessions:
            self.sessions[(name, device)] = self.sign_in(self.person(name))
        return self.sessions[(name, device)]

    def call(self, method: str, path: str, *, as_person: str | None = None,
             device: str = "default", token: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if as_person is not None:
            token = token or self.session(as_person, device).access
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        self.responses.append(response)
        return response

    @property
    def last(self):
        return self.responses[-1]


@pytest.fixture
def conversation(client, make_user, sign_in) -> Conversation:
    return Conversation(client, make_user, sign_in)


def assert_refused(response, status: int, code: str) -> dict:
    """The answer is the documented problem: status, content type and stable code."""
    body = response.get_json()
    assert response.status_code == status, body
    assert response.mimetype == PROBLEM_TYPE
    assert body["code"] == code, body
    assert body["status"] == status
    return body


def assert_refused_pointing_at(response, field_name: str) -> dict:
    body = assert_refused(response, 422, "validation_error")
    assert any(key == field_name or key.startswith(f"{field_name}.")
               for key in body["errors"]), body["errors"]
    return body


@given(parsers.parse("{name} is signed in"))
def signed_in(conversation, name):
    conversation.session(name)


@then("they are told to sign in first")
def told_to_sign_in(conversation):
    assert_refused(conversation.last, 401, "unauthorized")
    assert conversation.last.headers["WWW-Authenticate"] == "Bearer"


@then(parsers.parse("the request is refused, pointing at the {field_name}"))
def refused_pointing_at(conversation, field_name):
    # Product owners say "measurements"; the API calls them "features".
    api_field = {"measurements": "features"}.get(field_name, field_name)
    assert_refused_pointing_at(conversation.last, api_field)
