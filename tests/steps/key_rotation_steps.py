"""Steps of features/account.feature for replacing (rotating) API keys.

The old key works on for a grace period, so the script that uses it can switch without
stopping.

A replaced key's successor takes its place in ``conversation.keys`` (it has the same
name); the old one stays with the script (the ``script`` fixture) and in ``replaced``.
Time is the ``clock`` fixture's (tests/support/clock.py): it stands still from the first
step that lets time pass, which moves it on.
"""

import pytest
from pytest_bdd import given, parsers, then, when

from tests.steps.api_key_steps import KEYS
from tests.steps.common_steps import answer_to, assert_refused
from tests.steps.prediction_steps import PREDICT, patient

HOUR = 3600


@pytest.fixture
def replaced() -> dict:
    """(holder, key name) -> the key a rotation replaced (its id and whole secret)."""
    return {}


def _rotate(conversation, replaced, owner: str, name: str, grace_seconds: int) -> None:
    old = conversation.keys[(owner, name)]
    response = conversation.call(
        "POST",
        f"{KEYS}/{old['id']}/rotate",
        as_person=owner,
        json={"grace_seconds": grace_seconds},
    )
    assert response.status_code == 201, response.get_json()
    replaced[(owner, name)] = old
    conversation.keys[(owner, name)] = response.get_json()


@given(
    parsers.parse(
        '{owner} has replaced the key "{name}", letting the old one work for {hours:d} more hours'
    )
)
@when(
    parsers.parse(
        '{owner} replaces the key "{name}", letting the old one work for {hours:d} more hours'
    )
)
def replace_with_grace(conversation, replaced, owner, name, hours):
    _rotate(conversation, replaced, owner, name, hours * HOUR)


@when(parsers.parse('{owner} replaces the key "{name}" with no grace period'))
def replace_at_once(conversation, replaced, owner, name):
    _rotate(conversation, replaced, owner, name, 0)


@when(
    parsers.parse('{owner} tries to replace the old key "{name}" again'),
    target_fixture="answer",
)
def replace_again(conversation, replaced, owner, name):
    old = replaced[(owner, name)]
    return conversation.call("POST", f"{KEYS}/{old['id']}/rotate", as_person=owner)


@when(parsers.re(r"(?:an hour passes|(?P<hours>\d+) hours pass)"))
def time_passes(clock, hours):
    clock.tick((int(hours) if hours else 1) * HOUR)


@then("the script still gets predictions with its old key")
def old_key_still_works(conversation, script):
    response = conversation.call(
        "POST", PREDICT, headers={"X-API-Key": script["key"]}, json={"features": patient()}
    )
    assert response.status_code == 200, response.get_json()
    assert isinstance(response.get_json()["prediction"], float)


@then(parsers.parse('{owner}\'s new key "{name}" works'))
def new_key_works(conversation, replaced, owner, name):
    new = conversation.keys[(owner, name)]
    assert new["id"] != replaced[(owner, name)]["id"], "the key was not replaced"
    response = conversation.call("GET", "/api/v1/users/me", headers={"X-API-Key": new["key"]})
    assert response.status_code == 200, response.get_json()
    answer_to(conversation, response, owner)


@then(
    parsers.parse('she sees the key "{name}" twice, the old one marked as replaced by the new one')
)
def sees_both_keys(conversation, replaced, answer, name):
    assert answer.status_code == 200, answer.get_json()
    owner = conversation.asker(answer)
    old, new = replaced[(owner, name)], conversation.keys[(owner, name)]
    listed = {item["id"]: item for item in answer.get_json()["items"] if item["name"] == name}
    assert set(listed) == {old["id"], new["id"]}
    assert listed[old["id"]]["replaced_by_id"] == new["id"]
    assert listed[new["id"]]["replaced_by_id"] is None


@then(parsers.parse("{owner} is told the key has already been replaced"))
def told_already_replaced(conversation, answer, owner):
    body = assert_refused(answer, 409, "conflict")
    answer_to(conversation, answer, owner)
    assert "already rotated" in body["detail"]
