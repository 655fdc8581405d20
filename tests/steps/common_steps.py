"""Steps and state every feature shares: who is in the scenario and what they were told.

A scenario's people (Alice, Bob, …) get accounts from the shared ``make_user`` fixture
and sign in through the API; every request goes through the shared Flask test client.
What a When step was told reaches the Then steps by name: the step returns it as the
``answer`` fixture (``target_fixture="answer"``). Keys, sessions and answers a later step
needs are kept by the names the scenario gives them, never as "the first" or "the last".
"""

from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then

from tests.support.settings import TEST_PASSWORD
from tests.support.users import TestUser, Tokens

PROBLEM_TYPE = "application/problem+json"


@dataclass
class Conversation:
    """The people of one scenario, their sessions and API keys, and what they were told."""

    client: object
    make_user: object
    sign_in: object
    people: dict[str, TestUser] = field(default_factory=dict)
    sessions: dict[tuple[str, str], Tokens] = field(default_factory=dict)
    # (holder, key name) -> the answer that created the key (its id and whole secret).
    keys: dict[tuple[str, str], dict] = field(default_factory=dict)
    # person -> every answer a request made by them, or for them, got (in order).
    told: dict[str, list] = field(default_factory=dict)

    def person(self, name: str, password: str = TEST_PASSWORD) -> TestUser:
        if name not in self.people:
            self.people[name] = self.make_user(
                name.lower(), password=password, email=f"{name.lower()}@example.com"
            )
        return self.people[name]

    def session(self, name: str, device: str = "default") -> Tokens:
        if (name, device) not in self.sessions:
            self.sessions[(name, device)] = self.sign_in(self.person(name))
        return self.sessions[(name, device)]

    def call(
        self,
        method: str,
        path: str,
        *,
        as_person: str | None = None,
        device: str = "default",
        token: str | None = None,
        by: str | None = None,
        **kwargs,
    ):
        """A request: signed in as ``as_person``, or with the credentials given; ``by`` names
        the person it is made for when it carries none of theirs (registering, signing in)."""
        headers = kwargs.pop("headers", {})
        if as_person is not None:
            token = token or self.session(as_person, device).access
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        if by or as_person:
            self.told.setdefault(by or as_person, []).append(response)
        return response

    def key_of(self, holder: str) -> dict:
        """The one API key ``holder`` holds (when the scenario says "Alice's key")."""
        held = [key for (owner, _name), key in self.keys.items() if owner == holder]
        assert len(held) == 1, f"{holder} holds {len(held)} API keys: name the one meant"
        return held[0]

    def key_named(self, name: str) -> dict:
        """The one API key called ``name`` (when the scenario names the key, not its holder)."""
        named = [key for (_holder, key_name), key in self.keys.items() if key_name == name]
        assert len(named) == 1, f"{len(named)} API keys are called {name!r}"
        return named[0]

    def asker(self, response) -> str | None:
        """Whose credentials the request behind ``response`` carried: one of their sessions'
        tokens, or one of their API keys (None: nobody's)."""
        headers = response.request.headers
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        secret = headers.get("X-API-Key")
        sessions = ((name, tokens.access) for (name, _device), tokens in self.sessions.items())
        keys = ((holder, key["key"]) for (holder, _name), key in self.keys.items())
        return next(
            (name for name, credential in [*sessions, *keys] if credential in (token, secret)), None
        )


@pytest.fixture
def conversation(client, make_user, sign_in) -> Conversation:
    return Conversation(client, make_user, sign_in)


@pytest.fixture
def answer():
    """What the scenario's When step was told. That step provides it (``target_fixture``):
    this fixture answers only when none did, which is a mistake in the steps."""
    pytest.fail(
        "no When step of this scenario hands over the answer this Then step checks "
        "(target_fixture='answer')",
        pytrace=False,
    )


def answer_to(conversation, response, name: str):
    """``response``, once it is checked to answer a request ``name`` made (with their
    session or API key): a Then step naming a person checks what that person was told."""
    asker = conversation.asker(response)
    assert asker == name, f"the answer is to a request of {asker or 'nobody known'}, not {name}"
    return response


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
    assert any(key == field_name or key.startswith(f"{field_name}.") for key in body["errors"]), (
        body["errors"]
    )
    return body


@given(parsers.parse("{name} is signed in"))
def signed_in(conversation, name):
    conversation.session(name)


@then("they are told to sign in first")
def told_to_sign_in(answer):
    assert_refused(answer, 401, "unauthorized")
    assert answer.headers["WWW-Authenticate"] == "Bearer"


@then(parsers.parse("the request is refused, pointing at the {field_name}"))
def refused_pointing_at(answer, field_name):
    # Product owners say "measurements"; the API calls them "features".
    api_field = {"measurements": "features"}.get(field_name, field_name)
    assert_refused_pointing_at(answer, api_field)
