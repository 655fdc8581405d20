"""Webhooks: teams listening for events about their models and predictions.

Each team's service is played by ``responses`` at ``https://<name>.hooks.example.com/``, a
name the app's injected resolver maps to a public address, so no scenario touches the
network. Messages are sent by calling the sender explicitly, with a clock moved forward
past each retry's wait instead of sleeping.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import responses
from pytest_bdd import given, parsers, then, when

from mlapi.extensions import db
from mlapi.timeutil import utcnow
from mlapi.webhooks.addresses import RESOLVER_KEY, static_resolver
from mlapi.webhooks.dispatch import deliver_due
from mlapi.webhooks.signing import verify
from tests.steps.common_steps import answer_to, assert_refused, assert_refused_pointing_at
from tests.steps.prediction_steps import latest_question

PUBLIC_IP = "93.184.215.14"
EVENTS = {
    "new models": "model.created",
    "removed models": "model.deleted",
    "reports on predictions": "prediction.feedback",
}
PLACES = {
    "her own computer": "http://localhost:8000/hook",
    "an address of the office network": "http://10.20.30.40/hook",
    "the cloud provider's metadata service": "http://169.254.169.254/latest/meta-data/",
    "an address that does not exist": "https://nowhere.example.com/hook",
}
SEND_ROUNDS = (0, 2, 6, 14)  # seconds from now: past the 1 s and 2 s waits between tries


def team_url(name: str) -> str:
    return f"https://{name.lower()}.hooks.example.com/mlapi"


@dataclass
class Listeners:
    """The scenario's listeners (with the secret each was shown) and their services."""

    app: object
    receivers: responses.RequestsMock
    dns: dict[str, list[str]] = field(default_factory=dict)
    hooks: dict[str, dict] = field(default_factory=dict)
    answers: dict[str, list[int]] = field(default_factory=dict)

    def send(self) -> None:
        """What the worker would do over the next few seconds."""
        for name, statuses in self.answers.items():
            for status in statuses:
                self.receivers.post(team_url(name), status=status)
        self.answers.clear()
        with self.app.app_context():
            for seconds in SEND_ROUNDS:
                deliver_due(utcnow() + timedelta(seconds=seconds))
            db.session.remove()

    def delivered_to(self, name: str) -> list:
        """The messages the team's service accepted."""
        self.send()
        return [
            call.request
            for call in self.receivers.calls
            if call.request.url == team_url(name) and call.response.ok
        ]

    def told(self, name: str, event: str) -> dict:
        [message] = self.delivered_to(name)
        assert message.headers["X-MLAPI-Event"] == event
        return json.loads(message.body)


@pytest.fixture
def listeners(app):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as receivers:
        world = Listeners(app, receivers)
        app.extensions[RESOLVER_KEY] = static_resolver(world.dns)
        yield world


def _hook_path(listeners, name: str) -> str:
    return f"/api/v1/webhooks/{listeners.hooks[name]['id']}"


@given(parsers.parse("{name}'s team listens for {what}"))
def team_listens(conversation, listeners, name, what):
    listeners.dns[f"{name.lower()}.hooks.example.com"] = [PUBLIC_IP]
    listeners.answers.setdefault(name, [200])
    response = conversation.call(
        "POST",
        "/api/v1/webhooks",
        as_person=name,
        json={"url": team_url(name), "events": [EVENTS[what]]},
    )
    assert response.status_code == 201, response.get_json()
    listeners.hooks[name] = response.get_json()


@given(parsers.parse("{name}'s team has as many listeners as one person may have"))
def team_has_the_most_listeners(app, conversation, listeners, name):
    listeners.dns[f"{name.lower()}.hooks.example.com"] = [PUBLIC_IP]
    for _ in range(app.config["MAX_WEBHOOKS"]):
        response = conversation.call(
            "POST",
            "/api/v1/webhooks",
            as_person=name,
            json={"url": team_url(name), "events": ["model.created"]},
        )
        assert response.status_code == 201, response.get_json()


@given(parsers.parse("{name}'s team's service fails once before it recovers"))
def fails_once(listeners, name):
    listeners.answers[name] = [503, 200]


@given(parsers.parse("{name}'s team's service is down for good"))
def down_for_good(listeners, name):
    listeners.answers[name] = [503]


@given("the team's address is later pointed inside the company's network")
def rebound(listeners):
    for host in listeners.dns:
        listeners.dns[host] = ["10.0.0.5"]


@when(
    parsers.re(r"(?P<name>\w+) reports how (?:her|his|their) latest prediction turned out"),
    target_fixture="answer",
)
def reports_outcome(conversation, asked, name):
    latest = latest_question(asked, name).prediction_id
    response = conversation.call(
        "POST",
        f"/api/v1/predictions/{latest}/feedback",
        as_person=name,
        json={"actual_value": 151.0, "score": 4},
    )
    assert response.status_code == 201, response.get_json()
    return response


@when(parsers.parse("{name} asks to be told at {place}"), target_fixture="answer")
def asks_to_be_told_at(conversation, name, place):
    return conversation.call(
        "POST",
        "/api/v1/webhooks",
        as_person=name,
        json={"url": PLACES[place], "events": ["model.created"]},
    )


@when(parsers.parse("{name} adds one more listener"), target_fixture="answer")
def adds_one_more_listener(conversation, name):
    return conversation.call(
        "POST",
        "/api/v1/webhooks",
        as_person=name,
        json={"url": team_url(name), "events": ["model.deleted"]},
    )


@when(parsers.parse("{name} tries to remove {owner}'s team's listener"), target_fixture="answer")
def tries_to_remove(conversation, listeners, name, owner):
    return conversation.call("DELETE", _hook_path(listeners, owner), as_person=name)


@then(parsers.parse('{name}\'s team is told about the new model "{model}"'))
def told_new_model(listeners, name, model):
    message = listeners.told(name, "model.created")
    assert message["data"]["name"] == model


@then(parsers.parse('{name}\'s team is told about version {version:d} of "{model}"'))
def told_version(listeners, name, version, model):
    message = listeners.told(name, "model.created")
    assert (message["data"]["name"], message["data"]["version"]) == (model, version)


@then(parsers.parse('{name}\'s team is told the model "{model}" was removed'))
def told_removed(listeners, registry_models, name, model):
    message = listeners.told(name, "model.deleted")
    assert message["data"]["id"] == registry_models[model]["id"]


@then(parsers.parse("{name}'s team is told about the report on that prediction"))
def told_report(listeners, answer, name):
    """That prediction: the one the report was about."""
    report = answer.get_json()
    message = listeners.told(name, "prediction.feedback")
    assert message["data"]["prediction_id"] == report["prediction_id"]
    assert message["data"]["actual_value"] == report["actual_value"]


@then("the message is signed with the team's secret")
def signed(listeners):
    [(name, hook)] = listeners.hooks.items()
    [message] = listeners.delivered_to(name)
    assert verify(hook["secret"], message.body, message.headers["X-MLAPI-Signature"])
    assert not verify("whsec_someone-else", message.body, message.headers["X-MLAPI-Signature"])


@then(parsers.parse("{name}'s team is told nothing"))
def told_nothing(listeners, name):
    assert listeners.delivered_to(name) == []


@then(
    parsers.re(
        r"(?P<name>\w+) sees (?P<count>\d+) tr(?:y|ies) in the log of (?:her|his|their) "
        r"team's listener"
    )
)
def sees_tries(conversation, listeners, name, count):
    listeners.send()
    response = conversation.call("GET", f"{_hook_path(listeners, name)}/deliveries", as_person=name)
    assert response.status_code == 200, response.get_json()
    tries = response.get_json()["items"]
    assert [entry["attempt"] for entry in tries] == list(range(int(count), 0, -1))
    assert tries[-1]["error"]  # the first try failed, or there would be no other


@then(parsers.parse("{name} is told that address cannot be used"))
def address_refused(conversation, answer, name):
    assert_refused_pointing_at(answer_to(conversation, answer, name), "url")


@then(parsers.parse("{name} is told she already has as many listeners as one person may"))
def told_listener_cap(app, conversation, answer, name):
    body = assert_refused(answer_to(conversation, answer, name), 409, "conflict")
    assert f"{app.config['MAX_WEBHOOKS']} webhooks" in body["detail"]


@then(parsers.parse("{name} is told there is no such listener"))
def no_such_listener(conversation, answer, name):
    assert_refused(answer_to(conversation, answer, name), 404, "not_found")


@then(parsers.parse("{name}'s team is still listening"))
def still_listening(conversation, listeners, name):
    response = conversation.call("GET", _hook_path(listeners, name), as_person=name)
    assert response.status_code == 200, response.get_json()


@then(parsers.parse("{name}'s team is no longer listening"))
def no_longer_listening(conversation, listeners, answer, name):
    assert answer.status_code == 204, answer.get_json()
    response = conversation.call("GET", _hook_path(listeners, name), as_person=name)
    assert_refused(response, 404, "not_found")
