"""Steps of features/aliases.feature: a team's model by full name and alias.

The team is made directly in the database (``tests.team_records.add_team``: the teams API
has its own feature); its model's versions too, each scoring ``version`` times the first's, so the
answer tells which version gave it. The answer a When step got is the ``answer`` fixture.
"""

from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from tests.steps.common_steps import answer_to, assert_refused
from tests.team_records import ROW, add_team, add_version, answer_of

# Who a scenario names in words, as a person of the conversation.
PEOPLE = {"the billing service": "Billing"}
WHO = r"(?P<who>the billing service|\w+)"
OUTCOMES = {
    "refused, as {who} only uses the model": (403, "forbidden"),
    "refused, as if churn did not exist": (404, "not_found"),
}


def person(who: str) -> str:
    return PEOPLE.get(who, who)


@dataclass
class Team:
    id: int
    name: str
    maintainer: str
    versions: dict[str, dict[int, int]] = field(default_factory=dict)  # model -> version -> id


@pytest.fixture
def teams() -> dict[str, Team]:
    """The scenario's teams by name."""
    return {}


def registry(team: Team, model: str, tail: str = "") -> str:
    return f"/api/v1/registry/{team.name}/{model}{tail}"


@given(
    parsers.re(
        r"(?P<maintainer>\w+) maintains the (?P<team>\w+) team, with (?P<member>\w+) and "
        r"the billing service as members"
    )
)
def team_with_members(app, conversation, teams, maintainer, team, member):
    roles = {maintainer: "maintainer", member: "member", person("the billing service"): "member"}
    members = {conversation.person(name).id: role for name, role in roles.items()}
    teams[team] = Team(add_team(app, team, members), team, maintainer)


@given(
    parsers.re(
        r"the (?P<team>\w+) team keeps versions 1 and 2 of (?P<model>\w+), "
        r"which score differently"
    )
)
def team_keeps_versions(app, conversation, teams, team, model):
    for version in (1, 2):
        has_added(app, conversation, teams, team, model, version)


@given(parsers.parse("the {team} team has added version {version:d} of {model}"))
def has_added(app, conversation, teams, team, model, version):
    owner = conversation.person(teams[team].maintainer)
    record_id = add_version(
        app, owner.id, model, version, team_id=teams[team].id, scale=float(version)
    )
    teams[team].versions.setdefault(model, {})[version] = record_id


def _promote(conversation, team: Team, who: str, model: str, version: int, alias: str):
    return conversation.call(
        "PUT",
        registry(team, model, f"/aliases/{alias}"),
        as_person=person(who),
        json={"version": version},
    )


@given(parsers.parse("the {team} team has promoted version {version:d} of {model} to {alias}"))
def has_promoted(conversation, teams, team, version, model, alias):
    response = _promote(conversation, teams[team], teams[team].maintainer, model, version, alias)
    assert response.status_code == 200, response.get_json()


@when(
    parsers.parse("the {team} team promotes version {version:d} of {model} to {alias}"),
    target_fixture="answer",
)
def team_promotes(conversation, teams, team, version, model, alias):
    return _promote(conversation, teams[team], teams[team].maintainer, model, version, alias)


@when(
    parsers.re(WHO + r" promotes version (?P<version>\d+) of (?P<model>\w+) to (?P<alias>\w+)"),
    target_fixture="answer",
)
def someone_promotes(conversation, teams, who, version, model, alias):
    [team] = teams.values()
    return _promote(conversation, team, who, model, int(version), alias)


def _ask(conversation, teams, who: str, alias: str, model: str):
    [team] = teams.values()
    return conversation.call(
        "POST",
        registry(team, model, f"/aliases/{alias}/predict"),
        as_person=person(who),
        json={"features": ROW},
    )


@given(parsers.re(WHO + r" has asked (?P<alias>\w+) (?P<model>\w+) for a score"))
def has_asked(conversation, teams, who, alias, model):
    response = _ask(conversation, teams, who, alias, model)
    assert response.status_code == 200, response.get_json()


@when(parsers.re(WHO + r" asks (?P<alias>\w+) (?P<model>\w+) for a score"), target_fixture="answer")
def asks(conversation, teams, who, alias, model):
    return _ask(conversation, teams, who, alias, model)


@when(parsers.parse("{who} deletes version {version:d} of {model}"), target_fixture="answer")
def deletes_version(conversation, teams, who, version, model):
    [team] = teams.values()
    record_id = team.versions[model][version]
    response = conversation.call("DELETE", f"/api/v1/models/{record_id}", as_person=person(who))
    assert response.status_code == 204, response.get_json()
    return response


@then(parsers.parse("version {version:d} of {model} answers"))
def version_answers(conversation, teams, answer, version, model):
    [team] = teams.values()
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert (body["model_id"], body["model_version"]) == (team.versions[model][version], version)
    assert body["prediction"] == pytest.approx(answer_of(float(version)))


@then(parsers.parse("{model} no longer has a {alias} version"))
def no_longer_aliased(conversation, teams, model, alias):
    [team] = teams.values()
    listed = conversation.call("GET", registry(team, model), as_person=team.maintainer)
    assert listed.status_code == 200, listed.get_json()
    assert alias not in listed.get_json()["aliases"]


@then(parsers.re(WHO + r" cannot get a score from (?P<alias>\w+) (?P<model>\w+)"))
def cannot_get_score(conversation, teams, who, alias, model):
    answer = answer_to(conversation, _ask(conversation, teams, who, alias, model), person(who))
    assert_refused(answer, 404, "not_found")


@then(parsers.parse("the promotion is {outcome}"))
def promotion_outcome(conversation, answer, outcome):
    if outcome == "made":
        assert answer.status_code == 200, answer.get_json()
        return
    who = conversation.asker(answer)
    status, code = OUTCOMES[outcome.replace(who, "{who}")]
    assert_refused(answer, status, code)
