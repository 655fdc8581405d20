"""Steps of features/teams.feature: teams, their members and their names.

Teams are known by the names the scenario gives them; their ids are kept in ``teams``.
"""

import pytest
from pytest_bdd import given, parsers, then, when

from tests.steps.common_steps import answer_to, assert_refused
from tests.support.settings import TEST_PASSWORD

TEAMS = "/api/v1/teams"
PERSON = r"(?P<name>[A-Z]\w*)"
TEAM = r"(?P<team>[\w.-]+)"
PRONOUN = r"(?:her|his|their)"
ROLE = r"(?P<role>member|maintainer)"


@pytest.fixture
def teams() -> dict[str, int]:
    """The scenario's teams: name -> id."""
    return {}


def _member_url(teams, team: str, person: str) -> str:
    return f"{TEAMS}/{teams[team]}/members/{person.lower()}"


def _my_teams(conversation, name: str) -> dict[str, dict]:
    response = conversation.call("GET", TEAMS, as_person=name)
    assert response.status_code == 200, response.get_json()
    return {team["name"]: team for team in response.get_json()["items"]}


def _set_role(conversation, teams, maintainer, name, team, role):
    conversation.person(name)
    return conversation.call(
        "PUT", _member_url(teams, team, name), as_person=maintainer, json={"role": role}
    )


@given(parsers.re(rf"{PERSON} has created the {TEAM} team"))
def created_team(conversation, teams, name, team):
    response = conversation.call("POST", TEAMS, as_person=name, json={"name": team})
    assert response.status_code == 201, response.get_json()
    teams[team] = response.get_json()["id"]


@given(parsers.re(rf"(?P<maintainer>[A-Z]\w*) has added {PERSON} to the {TEAM} team as an? {ROLE}"))
def added_member(conversation, teams, maintainer, name, team, role):
    response = _set_role(conversation, teams, maintainer, name, team, role)
    assert response.status_code == 200, response.get_json()


@given(parsers.re(rf"{PERSON} has deleted the {TEAM} team"))
def deleted_team(conversation, teams, name, team):
    response = conversation.call("DELETE", f"{TEAMS}/{teams[team]}", as_person=name)
    assert response.status_code == 204, response.get_json()


@when(
    parsers.re(
        rf"(?P<maintainer>[A-Z]\w*) (?:tries to add|adds) {PERSON} to the {TEAM} team as an? {ROLE}"
    ),
    target_fixture="answer",
)
def add_member(conversation, teams, maintainer, name, team, role):
    return _set_role(conversation, teams, maintainer, name, team, role)


@when(
    parsers.re(rf"(?P<maintainer>[A-Z]\w*) removes {PERSON} from the {TEAM} team"),
    target_fixture="answer",
)
def remove_member(conversation, teams, maintainer, name, team):
    return conversation.call("DELETE", _member_url(teams, team, name), as_person=maintainer)


@when(parsers.re(rf"{PERSON} (?:tries to )?leaves? the {TEAM} team"), target_fixture="answer")
def leave(conversation, teams, name, team):
    return conversation.call("DELETE", _member_url(teams, team, name), as_person=name)


@when(parsers.re(rf"{PERSON} tries to become a member of the {TEAM} team"), target_fixture="answer")
def step_down(conversation, teams, name, team):
    return _set_role(conversation, teams, name, name, team, "member")


@when(parsers.re(rf"{PERSON} tries to look at the {TEAM} team"), target_fixture="answer")
def look_at(conversation, teams, name, team):
    return conversation.call("GET", f"{TEAMS}/{teams[team]}", as_person=name)


@when(parsers.re(rf"{PERSON} tries to create a team called {TEAM}"), target_fixture="answer")
def create_named(conversation, name, team):
    return conversation.call("POST", TEAMS, as_person=name, json={"name": team})


@when(
    parsers.re(rf"{PERSON} tries to sign up with the username (?P<username>[\w.-]+)"),
    target_fixture="answer",
)
def sign_up(conversation, name, username):
    body = {"username": username, "email": f"{name.lower()}@example.com", "password": TEST_PASSWORD}
    return conversation.call("POST", "/api/v1/auth/register", by=name, json=body)


@then(parsers.re(rf"{PERSON} sees the {TEAM} team among {PRONOUN} teams, as an? {ROLE}"))
def sees_team(conversation, name, team, role):
    mine = _my_teams(conversation, name)
    assert team in mine, f"{name}'s teams: {sorted(mine)}"
    roles = {member["user"]["username"]: member["role"] for member in mine[team]["members"]}
    assert roles[name.lower()] == role


@then(parsers.re(rf"{PERSON} no longer sees the {TEAM} team"))
def no_longer_sees(conversation, teams, name, team):
    assert team not in _my_teams(conversation, name)
    response = conversation.call("GET", f"{TEAMS}/{teams[team]}", as_person=name)
    assert_refused(response, 404, "not_found")


@then(parsers.re(rf"{PERSON} is told the team needs at least one maintainer"))
def told_last_maintainer(conversation, answer, name):
    assert (
        "maintainer"
        in assert_refused(answer_to(conversation, answer, name), 409, "conflict")["detail"]
    )


@then(parsers.re(rf"{PERSON} is told only the team's maintainers may do this"))
def told_maintainers_only(conversation, answer, name):
    assert_refused(answer_to(conversation, answer, name), 403, "forbidden")


@then(parsers.re(rf"{PERSON} is told there is no such team"))
def told_no_such_team(conversation, answer, name):
    assert_refused(answer_to(conversation, answer, name), 404, "not_found")


@then(parsers.re(rf"{PERSON} is told the name is already taken"))
def told_name_taken(conversation, answer, name):
    if conversation.asker(answer) is not None:  # signing up carries no credential
        answer_to(conversation, answer, name)
    else:
        assert answer in conversation.told[name]
    assert "already taken" in assert_refused(answer, 409, "conflict")["detail"]
