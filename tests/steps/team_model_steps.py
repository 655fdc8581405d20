"""Steps of features/models.feature and features/ownership.feature about team models.

Teams are made directly in the database (``seed_team``: the teams API has its own
feature); every model and every attempt goes through the API. A team's model is kept in
``registry_models`` by its name, like a person's.
"""

import io

from pytest_bdd import given, parsers, then, when

from tests.steps.common_steps import answer_to, assert_refused, assert_refused_pointing_at
from tests.steps.model_steps import FEATURES, MODELS, path_of
from tests.support.model_files import model_file


def upload_for_team(conversation, name, model, team):
    form = {
        "name": model,
        "model_type": "sklearn",
        "team": team,
        "file": (io.BytesIO(model_file("regressor")), "model.skops"),
    }
    return conversation.call(
        "POST", MODELS, as_person=name, data=form, content_type="multipart/form-data"
    )


def people(conversation, names: str) -> list:
    """'Tina and Tom' or 'Tina, Tom and Ann' -> their accounts."""
    listed = names.replace(" and ", ", ").split(", ")
    return [conversation.person(name) for name in listed]


@given(parsers.parse('the team "{team}" is kept by {maintainers}, with {members} as a member'))
def team_with_members(conversation, seed_team, team, maintainers, members):
    seed_team(
        team, maintainers=people(conversation, maintainers), members=people(conversation, members)
    )


@given(parsers.parse('{name} has uploaded a model "{model}" for the team "{team}"'))
def has_uploaded_for_team(conversation, registry_models, name, model, team):
    response = upload_for_team(conversation, name, model, team)
    assert response.status_code == 201, response.get_json()
    registry_models[model] = response.get_json()


@given(
    parsers.re(
        r"the team (?P<team>\w+)'s model \"(?P<model>[^\"]+)\" is "
        r"(?P<visibility>private|public), as (?P<name>\w+) set it"
    )
)
def team_model_is(conversation, registry_models, team, model, visibility, name):
    assert registry_models[model]["full_name"] == f"{team}/{model}"
    response = conversation.call(
        "PATCH", path_of(registry_models, model), as_person=name, json={"visibility": visibility}
    )
    assert response.get_json()["visibility"] == visibility


@when(
    parsers.parse('{name} uploads a sales forecasting model named "{model}" for the team "{team}"'),
    target_fixture="answer",
)
def uploads_for_team(conversation, registry_models, name, model, team):
    response = upload_for_team(conversation, name, model, team)
    if response.status_code == 201:
        registry_models[model] = response.get_json()
    return response


@when(parsers.parse('{name} moves "{model}" into the team "{team}"'), target_fixture="answer")
def moves_into_team(conversation, registry_models, name, model, team):
    response = conversation.call(
        "PATCH", path_of(registry_models, model), as_person=name, json={"team": team}
    )
    if response.status_code == 200:
        registry_models[model] = response.get_json()
    return response


@then(parsers.parse('{name} finds "{model}" under the name "{full_name}"'))
def known_as(conversation, registry_models, name, model, full_name):
    found = conversation.call("GET", path_of(registry_models, model), as_person=name)
    assert found.get_json()["full_name"] == full_name, found.get_json()


@then(parsers.parse('{name} can use "{model}" as a member of its team'))
def member_can_use(conversation, registry_models, name, model):
    assert registry_models[model]["visibility"] == "private"
    path = path_of(registry_models, model)
    assert conversation.call("GET", path, as_person=name).status_code == 200
    answer = conversation.call(
        "POST", f"{path}/predict", as_person=name, json={"features": FEATURES}
    )
    assert answer.status_code == 200, answer.get_json()


@then(parsers.parse('{name} finds versions {versions} of "{model}" in the team "{team}"'))
def versions_kept(conversation, name, versions, model, team):
    listed = conversation.call(
        "GET", f"{MODELS}?name={model}&team={team}", as_person=name
    ).get_json()
    expected = [int(v) for v in versions.replace(" and ", ", ").split(", ")]
    assert sorted(item["version"] for item in listed["items"]) == expected


@then(parsers.parse("{name} is told only the team's maintainers may add models to it"))
def only_maintainers(conversation, answer, name):
    body = assert_refused(answer_to(conversation, answer, name), 403, "forbidden")
    assert "maintainer" in body["detail"]


@then("the upload is refused, pointing at the team")
def refused_on_team(answer):
    assert_refused_pointing_at(answer, "team")


@then(parsers.parse('the move is refused, since the team already has a model "{model}"'))
def move_clashes(conversation, registry_models, answer, model):
    assert_refused(answer, 409, "conflict")
    assert registry_models[model]["team"] is None  # still where it was
