"""Steps of features/security.feature: forged tokens, other teams' things, unsafe input."""

import base64
import json
from pathlib import Path

import jwt
import pytest
from pytest_bdd import given, parsers, then, when

from mlapi.registry.state import loaded_models
from tests.steps.api_key_steps import KEYS, _create
from tests.steps.auth_steps import PROFILE, REGISTER
from tests.steps.common_steps import answer_to, assert_refused
from tests.steps.model_steps import MODELS, path_of, uploaded
from tests.steps.prediction_steps import HISTORY, PREDICT, patient
from tests.support.settings import TEST_PASSWORD
from tests.support.users import TestUser

PLAIN_DATA = "application/json"
ORIGINAL_DESCRIPTION = "Alice's churn forecast."
HOSTILE_FIELDS = "her full name|the description of her model"


@pytest.fixture
def forged() -> dict[str, str]:
    """Forged tokens, by the person whose token was forged."""
    return {}


@pytest.fixture
def private_things() -> dict[str, dict]:
    """Each owner's private model (record), prediction (id) and API key (creation answer)."""
    return {}


@pytest.fixture
def hostile() -> dict[str, str]:
    """The hostile text a person saved, by where it was saved."""
    return {}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _forge(token: str, forgery: str) -> str:
    header, payload, signature = token.split(".")
    claims = _claims(token)
    if forgery == "changing whose token it is":
        other_account = str(int(claims["sub"]) + 1)
        return f"{header}.{_b64(json.dumps({**claims, 'sub': other_account}).encode())}.{signature}"
    if forgery == "signing it with a key of their own":
        return jwt.encode(claims, "a-key-of-their-own-that-is-long-enough!", algorithm="HS256")
    if forgery == "removing its signature":
        return f"{header}.{payload}."
    if forgery == "declaring that it needs no signature":
        return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{payload}."
    raise ValueError(forgery)


FORGERIES = (
    "changing whose token it is|signing it with a key of their own|"
    "removing its signature|declaring that it needs no signature"
)


@given(parsers.re(rf"someone has forged (?P<name>\w+)'s token by (?P<forgery>{FORGERIES})"))
def forge_token(conversation, forged, name, forgery):
    token = conversation.session(name).access
    forged[name] = _forge(token, forgery)
    assert forged[name] != token


@when(
    parsers.parse("someone uses the forged token to look at {name}'s profile"),
    target_fixture="answer",
)
def use_forged_token(conversation, forged, name):
    return conversation.call("GET", PROFILE, token=forged[name])


@then("the forged token is refused as invalid")
def forged_token_refused(answer):
    assert_refused(answer, 401, "token_invalid")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


# --- another team's private things ---


@given(parsers.parse("{owner} keeps a private model, a prediction and an API key"))
def keeps_private_things(conversation, registry_models, private_things, owner):
    model = uploaded(conversation, registry_models, owner, "churn")
    changed = conversation.call(
        "PATCH",
        path_of(registry_models, "churn"),
        as_person=owner,
        json={"description": ORIGINAL_DESCRIPTION},
    )
    assert changed.get_json()["visibility"] == "private"
    predicted = conversation.call("POST", PREDICT, as_person=owner, json={"features": patient()})
    assert predicted.status_code == 200, predicted.get_json()
    private_things[owner] = {
        "model": model,
        "prediction": predicted.get_json()["prediction_id"],
        "key": _create(conversation, owner, "nightly-job"),
    }


def _attempt(things: dict, action: str, thing: str) -> tuple[str, str, dict | None]:
    model = f"{MODELS}/{things['model']['id']}"
    prediction = f"{HISTORY}/{things['prediction']}"
    return {
        ("view", "model"): ("GET", model, None),
        ("change", "model"): ("PATCH", model, {"description": "Not the owner's words."}),
        ("delete", "model"): ("DELETE", model, None),
        ("predict with", "model"): ("POST", f"{model}/predict", {"features": patient()}),
        ("read", "prediction"): ("GET", prediction, None),
        ("report on", "prediction"): ("POST", f"{prediction}/feedback", {"actual_value": 1}),
        ("delete", "API key"): ("DELETE", f"{KEYS}/{things['key']['id']}", None),
    }[(action, thing)]


@when(
    parsers.re(
        r"(?P<name>\w+) tries to (?P<action>view|change|delete|predict with|read|"
        r"report on) (?P<owner>\w+)'s private "
        r"(?P<thing>model|prediction|API key)"
    ),
    target_fixture="answer",
)
def tries_private_thing(conversation, private_things, name, action, owner, thing):
    method, path, body = _attempt(private_things[owner], action, thing)
    return conversation.call(method, path, as_person=name, json=body)


@then(
    parsers.re(
        r"(?P<name>\w+) is turned away (?P<how>because it is not his|"
        r"as if there were no such key)"
    )
)
def turned_away(conversation, answer, name, how):
    answer_to(conversation, answer, name)
    if how == "because it is not his":
        assert_refused(answer, 403, "forbidden")
    else:
        body = assert_refused(answer, 404, "not_found")
        assert "nightly-job" not in json.dumps(body)


@then(
    parsers.re(
        r"(?P<owner>\w+)'s private (?P<thing>model|prediction|API key) "
        r"is untouched"
    )
)
def untouched(conversation, private_things, owner, thing):
    things = private_things[owner]
    if thing == "API key":
        response = conversation.call("GET", PROFILE, headers={"X-API-Key": things["key"]["key"]})
        assert response.get_json()["username"] == owner.lower(), response.get_json()
        return
    path = (
        f"{MODELS}/{things['model']['id']}"
        if thing == "model"
        else f"{HISTORY}/{things['prediction']}"
    )
    response = conversation.call("GET", path, as_person=owner)
    body = response.get_json()
    assert response.status_code == 200, body
    if thing == "model":
        assert (body["description"], body["visibility"]) == (ORIGINAL_DESCRIPTION, "private")
    else:
        assert body.get("feedback") is None, body


# --- model files ---


@given(parsers.parse('someone has altered the stored file of "{model}"'))
def alter_artifact(app, registry_models, model):
    record = registry_models[model]
    path = Path(app.config["MODEL_STORE"]) / record["sha256"][:2] / record["sha256"]
    path.write_bytes(path.read_bytes() + b"\x00altered")
    with app.app_context():  # as after a restart: nothing of it kept in memory
        loaded_models().discard_where(lambda key: key[0] == record["id"])


@when(parsers.parse('{name} asks "{model}" for a sales forecast'), target_fixture="answer")
def ask_for_forecast(conversation, registry_models, name, model):
    return conversation.call(
        "POST",
        path_of(registry_models, model) + "/predict",
        as_person=name,
        json={"features": patient()},
    )


@then(parsers.parse("{name} is told the model cannot be used right now"))
def model_unavailable(app, conversation, answer, name):
    body = assert_refused(answer, 503, "model_unavailable")
    answer_to(conversation, answer, name)
    assert app.config["MODEL_STORE"] not in json.dumps(body)


@then(parsers.parse('the operators are told the file of "{model}" fails its check'))
def tampering_logged(caplog, registry_models, model):
    record = registry_models[model]
    assert any(
        record["sha256"][:12] in message and "checksum" in message for message in caplog.messages
    ), caplog.messages


# --- request size ---


@when(
    parsers.parse("{name} sends {megabytes:d} megabytes of numbers to the default model"),
    target_fixture="answer",
)
def send_oversized(conversation, name, megabytes):
    numbers = ",".join(["0.0123456789"] * (megabytes * 1024 * 1024 // 12 + 1))
    return conversation.call(
        "POST",
        PREDICT,
        as_person=name,
        data=f'{{"features": [{numbers}]}}',
        content_type="application/json",
    )


@then("the request is refused as too large")
def refused_too_large(answer):
    assert_refused(answer, 413, "payload_too_large")


@then(parsers.parse("{name}'s history is still empty"))
def history_empty(conversation, name):
    history = conversation.call("GET", HISTORY, as_person=name).get_json()
    assert (history["total"], history["items"]) == (0, [])


# --- hostile text ---


@when(parsers.re(rf"(?P<name>\w+) saves (?P<text>.+) as (?P<what>{HOSTILE_FIELDS})"))
def save_hostile_text(conversation, registry_models, hostile, name, text, what):
    hostile[what] = text
    if what == "her full name":
        username = name.lower()
        response = conversation.call(
            "POST",
            REGISTER,
            by=name,
            json={
                "username": username,
                "email": f"{username}@example.com",
                "password": TEST_PASSWORD,
                "full_name": text,
            },
        )
        assert response.status_code == 201, response.get_json()
        conversation.people[name] = TestUser(
            response.get_json()["id"], username, f"{username}@example.com", TEST_PASSWORD
        )
        return
    uploaded(conversation, registry_models, name, "notes")
    response = conversation.call(
        "PATCH", path_of(registry_models, "notes"), as_person=name, json={"description": text}
    )
    assert response.status_code == 200, response.get_json()


@then(
    parsers.re(
        rf"(?P<name>\w+) gets (?P<what>{HOSTILE_FIELDS}) back exactly as written, "
        r"as plain data"
    )
)
def hostile_text_as_data(conversation, registry_models, hostile, name, what):
    if what == "her full name":
        response, field_name = conversation.call("GET", PROFILE, as_person=name), "full_name"
    else:
        response = conversation.call("GET", path_of(registry_models, "notes"), as_person=name)
        field_name = "description"
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == PLAIN_DATA
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert json.loads(response.get_data(as_text=True))[field_name] == hostile[what]


# --- secrets ---


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for item in value.values() for k in _keys(item)}
    if isinstance(value, list):
        return {k for item in value for k in _keys(item)}
    return set()


@then(parsers.parse("no answer {name} was given contains her password in any form"))
def no_password_anywhere(conversation, name):
    password = conversation.person(name).password
    told = conversation.told.get(name, [])
    answers = [r for r in told if r.status_code < 300]
    assert len(answers) >= 3, [r.status_code for r in told]
    for response in answers:
        text = response.get_data(as_text=True)
        assert password not in text
        assert "$argon2" not in text
        assert not {k for k in _keys(response.get_json()) if "password" in k or "hash" in k}
