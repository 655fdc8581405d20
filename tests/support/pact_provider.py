"""Pact provider verification against a real mlapi: the server, the state endpoint, the report.

mlapi runs as in production (``gunicorn -c gunicorn.conf.py wsgi:app``, two sync workers) on
a SQLite file and a model folder of its own, started and stopped by PID with the helpers of
tests/services. The provider states are set by an app built in the test process on the same
database, model store and secret key (tests/contract/pact_states.py), reached by the
verifier through a small HTTP endpoint of the test process: mlapi itself gets no extra
route, so its URL map still matches the OpenAPI document.

pact-python's own state callback answers every state change with an empty body, which
leaves the pacts' provider-state generators (``${access_token}``, ``${model_id}``) nothing
to read; the endpoint here answers with the state's values as JSON, which the verifier
(pact_ffi) uses for them.
"""

import contextlib
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pact import Verifier

from mlapi import create_app
from mlapi.extensions import db
from tests.services.conftest import Host, free_port, host_environment, wait_until_ready
from tests.support.settings import TEST_SECRET_KEY, testing_config

NO_LIMIT = "1000000/minute"  # the verifier signs in and predicts far faster than a person


@dataclass
class Provider:
    url: str
    app: object  # the test process's app on the server's database and model store
    host: Host


@contextlib.contextmanager
def running_mlapi(directory: Path, workers: int = 2):
    """mlapi under gunicorn on a fresh SQLite database (migrated and seeded by its first
    start), and an app of the test process on the same files."""
    port = free_port()
    database, models = directory / "mlapi.db", directory / "models"
    env = host_environment(
        MLAPI_ENV="production",
        MLAPI_SECRET_KEY=TEST_SECRET_KEY,
        MLAPI_AUTO_MIGRATE="true",
        MLAPI_DATABASE_URL=f"sqlite:///{database}",
        MLAPI_MODEL_STORE=str(models),
        MLAPI_INSTANCE_PATH=str(directory / "instance"),
        MLAPI_WORKERS=str(workers),
        MLAPI_BIND=f"127.0.0.1:{port}",
        MLAPI_WEBHOOK_WORKER="false",
        MLAPI_RATELIMIT_DEFAULT=NO_LIMIT,
        MLAPI_RATELIMIT_PREDICT=NO_LIMIT,
        MLAPI_RATELIMIT_LOGIN=NO_LIMIT,
        MLAPI_RATELIMIT_LOGIN_ACCOUNT=NO_LIMIT,
    )
    host = Host("mlapi", f"http://127.0.0.1:{port}", directory, env)
    app = None
    try:
        host.start()
        wait_until_ready([host], workers)
        # Queued webhook deliveries stay in the database, where the message pacts read them.
        app = create_app(
            testing_config(
                database,
                models,
                directory / "test-app",
                WEBHOOK_WORKER=False,
                WEBHOOK_ALLOW_PRIVATE=True,
            )
        )
        yield Provider(host.url, app, host)
    finally:
        host.stop()
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


class Callbacks:
    """The verifier's calls into the test process, on one local port.

    ``POST /state`` with ``{"state", "params", "action"}``: ``states.setup(state, params)``
    answers with its values as JSON; a teardown calls ``states.teardown()``.
    ``POST /message`` with ``{"description", "providerStates", ...}``: the body
    ``states.message(description, provider_states)`` returns. (pact-python's own message
    server is not used: it never closes its listening socket, a ResourceWarning here.)"""

    def __init__(self, states):
        callbacks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # http.server calls it by this name
                call = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                try:
                    status, body = 200, callbacks.answer(self.path, call)
                except Exception as exc:  # reported with the verification output
                    callbacks.errors.append(f"{self.path} {call}: {exc!r}")
                    status, body = 500, json.dumps({"error": repr(exc)}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.states = states
        self.errors: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port

    def answer(self, path: str, call: dict) -> bytes:
        if path == "/message":
            return self.states.message(call["description"], call.get("providerStates") or [])
        if call.get("action") == "teardown":
            self.states.teardown()
            return b"{}"
        return json.dumps(self.states.setup(call["state"], call.get("params"))).encode()

    def __enter__(self) -> "Callbacks":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def state_name(name: str, params: dict | None) -> str:
    """A state's name with its params in place: the pacts name states by template
    ("{user} has an account", params {"user": "clinic-app"}); a placeholder without a
    param stays as it is."""

    class Missing(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return name.format_map(Missing(params or {}))


def states_given(source: Path) -> dict[tuple[str, str], list[str]]:
    """(consumer, interaction description) -> its provider states, params in place."""
    return {
        (pact["consumer"]["name"], interaction["description"]): [
            state_name(state["name"], state.get("params"))
            for state in interaction.get("providerStates") or []
        ]
        for pact in map(json.loads, map(Path.read_text, sorted(source.glob("*.json"))))
        for interaction in pact["interactions"]
    }


@dataclass
class Verification:
    passed: bool
    results: dict
    output: str
    given: dict[tuple[str, str], list[str]]

    def failures(self) -> list[str]:
        """One line per failed interaction: the consumer (team), the interaction, its states."""
        failed = [
            (found.get("consumer", "?"), found.get("description", "?"))
            for found in self.results.get("interactionResults", [])
            if found.get("result") != "OK"
        ]
        return [
            f'{consumer}: "{description}" (given '
            f"{', '.join(self.given.get((consumer, description)) or ['no state'])})"
            for consumer, description in failed
        ]

    def report(self) -> str:
        """The failures, then what the verifier said about them (the part of its output
        after "Failures:", or all of it when there is no such part)."""
        lines = self.failures() or ["(no interaction result: see the output)"]
        details = (
            self.output[self.output.find("Failures:") :]
            if "Failures:" in self.output
            else self.output
        )
        return "pact verification failed for:\n  " + "\n  ".join(lines) + "\n\n" + details


def verify_pacts(source: Path, provider: Provider, states) -> Verification:
    """Replay every interaction of the pact files in ``source`` against ``provider``;
    message interactions get their body from ``states.message``."""

    with Callbacks(states) as callbacks:
        verifier = (
            Verifier("mlapi", host="127.0.0.1")
            .add_transport(url=provider.url)
            .add_transport(protocol="message", port=callbacks.port, path="/message")
            .add_source(str(source))
            .set_error_on_empty_pact(enabled=True)
            .state_handler(f"http://127.0.0.1:{callbacks.port}/state", teardown=True, body=True)
        )
        try:
            verifier.verify()
            passed = True
        except RuntimeError:  # pact_ffi: a failed verification
            passed = False
    output = verifier.output(strip_ansi=True)
    if callbacks.errors:
        output += "\nstate and message handler errors:\n  " + "\n  ".join(callbacks.errors)
    results = verifier.results
    return Verification(
        passed and results.get("result", False), results, output, states_given(source)
    )
