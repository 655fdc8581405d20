"""The verification harness itself, on small pacts written here (not the teams' pacts).

They check what test_pacts.py relies on: the states' tokens, keys and ids reach the
requests through provider-state generators; one interaction's states share one user; a
message pact gets mlapi's real webhook body; and a contract mlapi does not keep fails with
a report naming the team and the interaction.
"""

import json

import requests
from pact import Pact, generate, match

from tests.support.pact_provider import verify_pacts

TEAM = "harness"
USER = f"{TEAM}-app"
PACT_WORKERS = 1  # one worker: its caches are the ones a state must empty


def from_state(example: str, expression: str):
    return match.type(example, generator=generate.provider_state(expression))


def write_pact(directory, build, send) -> None:
    """A consumer test in miniature: declare, exercise the mock server, write the file."""
    pact = Pact(TEAM, "mlapi").with_specification("V4")
    build(pact)
    with pact.serve() as mock:
        send(str(mock.url))
    pact.write_file(directory, overwrite=True)


def model_read(pact: Pact, field: str = "feature_names") -> None:
    (
        pact.upon_receiving("a read of the team's own model")
        .given(f"{USER} has an account")
        .given(f"{USER} has a private model named {TEAM}-model")
        .with_request("GET", from_state("/api/v1/models/1", "/api/v1/models/${model_id}"))
        .with_header("Authorization", from_state("Bearer example", "Bearer ${access_token}"))
        .will_respond_with(200)
        .with_body(
            {
                "id": match.int(1),
                "name": f"{TEAM}-model",
                "visibility": "private",
                field: ["age", "bmi", "bp", "glucose"],
            }
        )
    )


def send_model_read(url: str) -> None:
    requests.get(f"{url}/api/v1/models/1", headers={"Authorization": "Bearer example"}, timeout=10)


def test_state_values_reach_the_request_and_a_message_is_mlapis_real_body(
    provider, states, tmp_path
):
    def build(pact: Pact) -> None:
        model_read(pact)
        (
            pact.upon_receiving("a prediction with an API key")
            .given(f"{USER} has an API key named reports")
            .given(f"{USER} has a private model named {TEAM}-model")
            .with_request(
                "POST", from_state("/api/v1/models/1/predict", "/api/v1/models/${model_id}/predict")
            )
            .with_header("X-API-Key", from_state("mlapi_example", "${api_key}"))
            .with_body(
                {"features": {"age": 52, "bmi": 31.5, "bp": 88, "glucose": 140}},
                content_type="application/json",
            )
            .will_respond_with(200)
            .with_body({"prediction": match.int(1), "model_name": f"{TEAM}-model"})
        )

    def send(url: str) -> None:
        send_model_read(url)
        requests.post(
            f"{url}/api/v1/models/1/predict",
            headers={"X-API-Key": "mlapi_example"},
            json={"features": {"age": 52, "bmi": 31.5, "bp": 88, "glucose": 140}},
            timeout=10,
        )

    write_pact(tmp_path, build, send)
    # The mock server cannot hold a message interaction (pact_ffi panics): a file of its own.
    events = Pact(f"{TEAM}-events", "mlapi").with_specification("V4")
    (
        events.upon_receiving("a model.created event", interaction="Async")
        .given(f"{USER} has a webhook for model events")
        .with_body(
            {
                "event": "model.created",
                "id": match.regex("evt_0", regex=r"evt_\w+"),
                "data": {
                    "id": match.int(1),
                    "name": f"{TEAM}-model",
                    "version": 1,
                    "classes": [0, 1],
                },
            },
            content_type="application/json",
        )
    )
    events.verify(lambda _body, _context: None, "Async")
    events.write_file(tmp_path, overwrite=True)

    verification = verify_pacts(tmp_path, provider, states)
    assert verification.passed, verification.report()
    assert {
        (found["consumer"], found["description"])
        for found in verification.results["interactionResults"]
    } == {
        (TEAM, "a read of the team's own model"),
        (TEAM, "a prediction with an API key"),
        (f"{TEAM}-events", "a model.created event"),
    }


def test_the_default_model_a_state_chose_is_gone_in_the_next_interaction(
    provider, states, tmp_path
):
    """The worker caches the default model; the next interaction's reset must reach it."""
    sample = {"features": [52, 31.5, 88, 140]}  # four numbers: the team model's, not the default's

    def build(pact: Pact) -> None:
        for step, state, status, body, kind in (
            (
                "1",
                f"the default model is {TEAM}-model of {USER}",
                200,
                {"model_name": f"{TEAM}-model", "prediction": match.int(1)},
                "json",
            ),
            ("2", f"{USER} has an account", 422, {"code": "validation_error"}, "problem+json"),
        ):
            (
                pact.upon_receiving(f"{step}: a prediction from the default model")
                .given(state)
                .with_request("POST", "/api/v1/predict")
                .with_header(
                    "Authorization", from_state("Bearer example", "Bearer ${access_token}")
                )
                .with_body(sample, content_type="application/json")
                .will_respond_with(status)
                .with_body(body, content_type=f"application/{kind}")
            )

    def send(url: str) -> None:
        for _ in range(2):
            requests.post(
                f"{url}/api/v1/predict",
                json=sample,
                headers={"Authorization": "Bearer example"},
                timeout=10,
            )

    write_pact(tmp_path, build, send)
    verification = verify_pacts(tmp_path, provider, states)
    assert verification.passed, verification.report()


def test_a_renamed_response_field_fails_naming_the_team_and_the_interaction(
    provider, states, tmp_path
):
    write_pact(tmp_path, lambda pact: model_read(pact, field="feature_list"), send_model_read)
    verification = verify_pacts(tmp_path, provider, states)
    assert not verification.passed
    assert verification.failures() == [
        f'{TEAM}: "a read of the team\'s own model" (given {USER} has an account, '
        f"{USER} has a private model named {TEAM}-model)"
    ]
    assert "feature_list" in verification.report()
    assert json.dumps(verification.results)  # the raw results are there for a closer look
