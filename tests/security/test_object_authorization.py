"""Broken object-level authorization (OWASP API1), generated from the app's URL map.

Every rule with an id in its path is called, with every method it allows, (a) by another
user with an id the owner holds and (b) by the object's own owner once the object is
deleted. An endpoint added later is picked up with no change here; an id parameter this
file has no factory for fails loudly, naming what to add.

Expected answers follow docs/api.md and mlapi/policy.py: another user's private model or
prediction is 403 (its existence is no secret), another user's API key or webhook is 404
(its existence is not revealed), admin routes are 403 to non-admins; a deleted object is
404 even to the one who owned it.
"""

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from werkzeug.routing import IntegerConverter

from mlapi import create_app
from mlapi.auth.models import User
from mlapi.extensions import db
from mlapi.predictions.models import Prediction
from tests.support.model_files import model_file
from tests.unit.helpers import ROW, assert_problem
from tests.unit.webhooks.conftest import HOOK_URL, create_hook, dns  # noqa: F401

# OPTIONS is the CORS preflight (no data, no handler of ours): not an object access.
SKIPPED_METHODS = {"OPTIONS"}
# Models by full name (owner, name, then an alias or a version number) are not objects of
# one id: a caller who may not see the name is answered 404 on each of them, and a deleted
# version 404 to its owner too (tests/unit/registry/test_names.py,
# tests/unit/predictions/test_by_name.py).
BY_NAME = "/api/v1/registry/"
# A body the endpoint would accept from its owner, so a refusal is the policy's and not
# validation's. Endpoints not listed get ``{}``; a 422 then asks for an entry here.
BODIES = {
    ("models.ModelItem", "PATCH"): {"description": "changed"},
    ("predictions.ModelPredict", "POST"): {"features": ROW},
    ("predictions.ModelBatchPredict", "POST"): {"samples": [ROW]},
    ("predictions.PredictionFeedback", "POST"): {"actual_value": 1.0},
    ("admin.UserItem", "PATCH"): {"role": "user"},
    ("teams.Member", "PUT"): {"role": "member"},
}
# A team's member, the value of ``<username>`` in the paths of a team's members.
TEAMMATE = "teammate"
# Path parameters other than the object's id, with the value they take.
OTHER_PARAMETERS = {"<username>": TEAMMATE}


@dataclass
class Kind:
    """How to make an object of one kind as its owner, and who else is refused how."""

    make: Callable  # (world) -> (owner headers, id)
    foreign_status: int  # what another (non-admin) user is told
    row: type | None = None  # deleted through the database when no DELETE route exists


@dataclass
class World:
    client: object
    alice: dict  # headers of the owner
    bob: dict  # headers of another, plain user
    admin: dict
    make_user: Callable
    upload_model: Callable
    create_hook: Callable


def _model(world):
    return world.alice, world.upload_model(world.alice, "secret-model")["id"]


def _prediction(world):
    response = world.client.post("/api/v1/predict", json={"features": ROW}, headers=world.alice)
    return world.alice, response.get_json()["prediction_id"]


def _api_key(world):
    response = world.client.post("/api/v1/auth/api-keys", json={"name": "job"}, headers=world.alice)
    return world.alice, response.get_json()["id"]


def _webhook(world):
    return world.alice, world.create_hook(world.alice, HOOK_URL)["id"]


def _team(world):
    """Alice's team, with a member; someone outside it is not told it exists."""
    response = world.client.post("/api/v1/teams", json={"name": "crew"}, headers=world.alice)
    team_id = response.get_json()["id"]
    world.make_user(TEAMMATE)
    member = f"/api/v1/teams/{team_id}/members/{TEAMMATE}"
    assert world.client.put(member, json={"role": "member"}, headers=world.alice).status_code == 200
    return world.alice, team_id


def _user(world):
    return world.admin, world.make_user().id  # an account's "owner" here is an admin


FACTORIES: dict[str, Kind] = {
    "model_id": Kind(_model, 403),
    "prediction_id": Kind(_prediction, 403, row=Prediction),
    "key_id": Kind(_api_key, 404),
    "webhook_id": Kind(_webhook, 404),
    "user_id": Kind(_user, 403, row=User),
    "team_id": Kind(_team, 404),
}


def _id_rules():
    """(rule, method, parameter) for every rule with an integer id, from a fresh app's map."""
    with tempfile.TemporaryDirectory() as scratch:  # nothing written into the checkout
        app = create_app(
            {
                "ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "AUTO_MIGRATE": False,
                "INSTANCE_PATH": scratch,
                "MODEL_STORE": f"{scratch}/models",
            }
        )
    cases = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(BY_NAME):
            continue
        ids = [
            name
            for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter) or name.endswith("id")
        ]
        for parameter in ids:
            cases += [
                pytest.param(
                    rule.rule, rule.endpoint, method, parameter, id=f"{method} {rule.rule}"
                )
                for method in sorted(rule.methods - SKIPPED_METHODS)
            ]
    return cases


ID_RULES = _id_rules()


@pytest.fixture
def world(client, make_user, sign_in, upload_model, create_hook, admin_headers):  # noqa: F811
    return World(
        client,
        sign_in(make_user()).headers,
        sign_in(make_user()).headers,
        admin_headers,
        make_user,
        upload_model,
        create_hook,
    )


def _kind(parameter: str) -> Kind:
    assert parameter in FACTORIES, (
        f"No factory for URL parameter {parameter!r}: add one to FACTORIES in {__file__} "
        "so object-level authorization of its endpoints is tested."
    )
    return FACTORIES[parameter]


def _call(
    client, rule: str, endpoint: str, method: str, parameter: str, object_id: int, headers: dict
):
    for placeholder, value in OTHER_PARAMETERS.items():
        rule = rule.replace(placeholder, value)
    assert rule.count("<") == 1, (
        f"{rule} has several parameters: give this file a factory that makes the nested "
        "objects and build the path from all of them"
    )
    path = rule.split("<")[0] + str(object_id) + rule.split(">", 1)[1]
    body = BODIES.get((endpoint, method), {}) if method in {"POST", "PUT", "PATCH"} else None
    response = client.open(path, method=method, json=body, headers=headers)
    assert response.status_code != 422, (
        f"{method} {rule} refused the body {body!r} (422) before any access check: add a "
        f"valid body for ({endpoint!r}, {method!r}) to BODIES"
    )
    return response


def _delete(world, app, kind: Kind, parameter: str, owner: dict, object_id: int) -> None:
    """Through the API when a DELETE route exists for this id, else the row itself."""
    for rule in app.url_map.iter_rules():
        if "DELETE" in rule.methods and set(rule.arguments) == {parameter}:
            response = _call(
                world.client, rule.rule, rule.endpoint, "DELETE", parameter, object_id, owner
            )
            assert response.status_code == 204
            return
    assert kind.row is not None, f"{parameter}: no DELETE route; give its Kind a row class"
    with app.app_context():
        db.session.delete(db.session.get(kind.row, object_id))
        db.session.commit()


def _expect(response, status: int, method: str) -> None:
    """The documented problem; HEAD has the status of GET but no body to read."""
    if method == "HEAD":
        assert response.status_code == status
        assert not response.data
        return
    code = {403: "forbidden", 404: "not_found"}[status]
    assert_problem(response, status, code)


def test_every_id_parameter_of_the_url_map_is_covered():
    """The generated table is not empty: a broken generator would make the tests vacuous."""
    parameters = {case.values[3] for case in ID_RULES}
    assert {"model_id", "prediction_id", "key_id", "webhook_id", "user_id"} <= parameters
    for parameter in parameters:
        _kind(parameter)


@pytest.mark.parametrize(("rule", "endpoint", "method", "parameter"), ID_RULES)
def test_another_users_object_is_refused(world, rule, endpoint, method, parameter):
    """Bob, a signed-in plain user, never reads or changes what belongs to Alice."""
    kind = _kind(parameter)
    _owner, object_id = kind.make(world)

    response = _call(world.client, rule, endpoint, method, parameter, object_id, world.bob)

    _expect(response, kind.foreign_status, method)


@pytest.mark.parametrize(("rule", "endpoint", "method", "parameter"), ID_RULES)
def test_a_deleted_object_is_gone_even_for_its_owner(app, world, rule, endpoint, method, parameter):
    """Once deleted, an object answers 404 to everyone, its former owner included."""
    kind = _kind(parameter)
    owner, object_id = kind.make(world)
    _delete(world, app, kind, parameter, owner, object_id)

    response = _call(world.client, rule, endpoint, method, parameter, object_id, owner)

    _expect(response, 404, method)


@pytest.mark.parametrize("parameter", ["model_id", "key_id", "webhook_id"])
def test_a_refused_delete_leaves_the_object_in_place(app, world, parameter):
    """A refusal is not a refusal *after* the deed: the owner still has the object."""
    kind = _kind(parameter)
    owner, object_id = kind.make(world)
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if "DELETE" in rule.methods and set(rule.arguments) == {parameter}
    ]
    (rule,) = rules

    _call(world.client, rule.rule, rule.endpoint, "DELETE", parameter, object_id, world.bob)

    again = _call(world.client, rule.rule, rule.endpoint, "DELETE", parameter, object_id, owner)
    assert again.status_code == 204


MODEL_RULES = [case for case in ID_RULES if case.values[3] == "model_id"]


@pytest.mark.parametrize(("rule", "endpoint", "method", "parameter"), MODEL_RULES)
def test_another_teams_model_is_refused(
    world, make_user, sign_in, seed_team, rule, endpoint, method, parameter
):
    """Bob, maintainer of the team ops, never reads or changes a private model of the team
    risk (whose maintainer uploaded it)."""
    carla, bob = make_user(), make_user()
    seed_team("risk", maintainers=[carla])
    seed_team("ops", maintainers=[bob])
    form = {"name": "secret-model", "model_type": "sklearn", "team": "risk"}
    form["file"] = (io.BytesIO(model_file("regressor")), "model.skops")
    uploaded = world.client.post(
        "/api/v1/models",
        data=form,
        headers=sign_in(carla).headers,
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()

    response = _call(
        world.client,
        rule,
        endpoint,
        method,
        parameter,
        uploaded.get_json()["id"],
        sign_in(bob).headers,
    )

    _expect(response, 403, method)
