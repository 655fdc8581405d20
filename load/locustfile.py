"""Load test: the five client teams using mlapi at once, with an SLA gate.

Run it through ``python load/run.py`` (it starts the service, creates the accounts, runs
locust headless in its own venv, and stops everything). Never import this module from the
test suite: importing locust monkey-patches the standard library with gevent, which breaks
pytest's collection; ``load/`` is outside ``testpaths`` for that reason.

Each simulated user belongs to one of five teams, signs in once (``on_start``) with an
account created before the run, and then mostly predicts (a mix of fresh inputs, which
miss the prediction cache, and inputs the team asks about again and again), sometimes
predicts a batch, reads its history, gives feedback on one of its own predictions, and
rarely uploads a new version of the team's model. Weights per team: predict >> batch >
history > feedback > upload. The billing service also asks its team's own model by alias
(``<team>/churn`` at ``production``), as client services are told to.

Settings (environment, set by load/run.py):

- ``LOAD_ACCOUNTS``: JSON file ``{"team": [{"username": ..., "password": ...}, ...]}``
- ``LOAD_MODEL_FILE``: a small skops artifact the upload task sends
- ``LOAD_ALIAS_PREDICT``: the path billing predicts with by alias (load/team_model.py)
- ``LOAD_P95_MS`` (100) and ``LOAD_MAX_FAIL_RATIO`` (0.001): the SLA gate
- ``LOAD_RESULTS``: where the gate writes the final figures and its verdict (JSON)
"""

import itertools
import json
import logging
import math
import os
import random
import time
import uuid
from collections import deque

from locust import FastHttpUser, between, events
from locust.exception import StopUser

PREDICT = "/api/v1/predict"
BATCH = "/api/v1/batch-predict"
HISTORY = "/api/v1/predictions"
FEEDBACK = "/api/v1/predictions/[id]/feedback"
UPLOAD = "/api/v1/models"
LOGIN = "/api/v1/auth/login"
ALIAS_PREDICT = os.environ.get("LOAD_ALIAS_PREDICT", "")
ALIAS_NAME = "/api/v1/registry/[team]/[model]/aliases/[alias]/predict"
GATED = ("POST", PREDICT)  # the SLA the client teams were promised

N_FEATURES = 10  # the default model: LinearRegression on scikit-learn's diabetes data
ALIAS_FEATURES = 3  # the team model (load/run.py's upload model)
P95_MS = float(os.environ.get("LOAD_P95_MS", "100"))
MAX_FAIL_RATIO = float(os.environ.get("LOAD_MAX_FAIL_RATIO", "0.001"))

_accounts_file = os.environ.get("LOAD_ACCOUNTS")
ACCOUNTS: dict[str, list[dict]] = {}
if _accounts_file:
    with open(_accounts_file, encoding="utf-8") as handle:
        ACCOUNTS = json.load(handle)
_model_file = os.environ.get("LOAD_MODEL_FILE")
MODEL_BYTES = b""
if _model_file:
    with open(_model_file, "rb") as handle:
        MODEL_BYTES = handle.read()

_rng = random.Random(20261126)  # noqa: S311 - load shapes, not secrets
# Inputs each team keeps asking about: after the first time, prediction-cache hits.
REPEATED = [[round(_rng.uniform(-0.1, 0.1), 4) for _ in range(N_FEATURES)] for _ in range(40)]


def fresh_row() -> list[float]:
    return [round(random.uniform(-0.12, 0.12), 6) for _ in range(N_FEATURES)]  # noqa: S311


def some_row(repeated_share: float) -> list[float]:
    if random.random() < repeated_share:  # noqa: S311
        return random.choice(REPEATED)  # noqa: S311
    return fresh_row()


def multipart(
    fields: dict[str, str], file_field: str, filename: str, content: bytes
) -> tuple[bytes, str]:
    """A multipart/form-data body (FastHttpUser has no ``files=``) and its content type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# Steady state: every user has signed in (100 argon2 sign-ins in the ramp-up are not what
# the SLA is about). The gate's p95 counts the predictions answered from then on; locust's
# table keeps every request of the run, ramp-up included.
_steady = {"ready": 0, "since": None, "predict_ms": []}


def _user_ready(environment) -> None:
    _steady["ready"] += 1
    runner = environment.runner
    target = getattr(runner, "target_user_count", None) or 0
    if _steady["since"] is None and target and _steady["ready"] >= target:
        _steady["since"] = time.time()


@events.request.add_listener
def _record_steady(request_type, name, response_time, exception=None, **_kwargs):
    if _steady["since"] is not None and (request_type, name) == GATED and exception is None:
        _steady["predict_ms"].append(response_time)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class TeamUser(FastHttpUser):
    """One person or service of a client team; the subclasses set the team and its mix."""

    abstract = True
    wait_time = between(0.1, 0.5)
    team = ""
    repeated_share = 0.3  # share of single predictions on inputs asked about before
    batch_rows = (5, 25)

    def on_start(self):
        accounts = ACCOUNTS.get(self.team) or []
        if not accounts:
            _user_ready(self.environment)
            logging.getLogger("load").error(
                "no account for team %r: set LOAD_ACCOUNTS (python load/run.py does)", self.team
            )
            raise StopUser()
        counter = type(self).__dict__.get("_next")
        if counter is None:
            counter = itertools.count()
            type(self)._next = counter
        account = accounts[next(counter) % len(accounts)]
        self.prediction_ids: deque[int] = deque(maxlen=50)
        with self.client.post(
            LOGIN,
            name=LOGIN,
            catch_response=True,
            json={"username": account["username"], "password": account["password"]},
        ) as resp:
            signed_in = resp.status_code == 200
            if signed_in:
                self.auth = {"Authorization": f"Bearer {resp.json()['access_token']}"}
            else:
                resp.failure(f"sign-in answered {resp.status_code}")
        _user_ready(self.environment)
        if not signed_in:  # outside the block: an exception inside it loses the failure
            raise StopUser()

    def predict(self):
        with self.client.post(
            PREDICT,
            name=PREDICT,
            headers=self.auth,
            catch_response=True,
            json={"features": some_row(self.repeated_share)},
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}")
                return
            self.prediction_ids.append(resp.json()["prediction_id"])

    def predict_by_alias(self):
        if not ALIAS_PREDICT:
            return self.predict()
        row = [round(random.uniform(-2, 2), 4) for _ in range(ALIAS_FEATURES)]  # noqa: S311
        with self.client.post(
            ALIAS_PREDICT,
            name=ALIAS_NAME,
            headers=self.auth,
            catch_response=True,
            json={"features": row},
        ) as resp:
            if resp.status_code != 200 or resp.json().get("alias") != "production":
                resp.failure(f"{resp.status_code}")
                return
            self.prediction_ids.append(resp.json()["prediction_id"])

    def batch(self):
        rows = [some_row(self.repeated_share) for _ in range(random.randint(*self.batch_rows))]  # noqa: S311
        with self.client.post(
            BATCH, name=BATCH, headers=self.auth, catch_response=True, json={"samples": rows}
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}")
                return
            self.prediction_ids.extend(resp.json()["prediction_ids"][-5:])

    def history(self):
        self.client.get(
            f"{HISTORY}?page=1&per_page={random.choice((10, 20, 50))}",  # noqa: S311
            name=HISTORY,
            headers=self.auth,
        )

    def feedback(self):
        if not self.prediction_ids:
            return self.predict()
        prediction_id = random.choice(self.prediction_ids)  # noqa: S311
        actual_value = round(random.uniform(25, 346), 1)  # noqa: S311
        score = random.randint(1, 5)  # noqa: S311
        with self.client.post(
            f"/api/v1/predictions/{prediction_id}/feedback",
            name=FEEDBACK,
            headers=self.auth,
            catch_response=True,
            json={"actual_value": actual_value, "score": score},
        ) as resp:
            if resp.status_code not in (200, 201):
                resp.failure(f"{resp.status_code}")

    def upload(self):
        if not MODEL_BYTES:
            return self.predict()
        body, content_type = multipart(
            {
                "name": f"{self.team}-model",
                "model_type": "sklearn",
                "description": "load test upload",
            },
            "file",
            "model.skops",
            MODEL_BYTES,
        )
        with self.client.post(
            UPLOAD,
            name=UPLOAD,
            data=body,
            catch_response=True,
            headers={**self.auth, "Content-Type": content_type},
        ) as resp:
            if resp.status_code != 201:
                resp.failure(f"{resp.status_code}")


def _mix(predict: int, batch: int, history: int, feedback: int, upload: int) -> dict:
    assert predict > 5 * batch
    assert batch > history > feedback > upload > 0
    return {
        TeamUser.predict: predict,
        TeamUser.batch: batch,
        TeamUser.history: history,
        TeamUser.feedback: feedback,
        TeamUser.upload: upload,
    }


class ClinicFrontend(TeamUser):
    """The clinicians' web app: one patient at a time, repeats when a page is reloaded."""

    team = "clinic"
    repeated_share = 0.4
    tasks = _mix(600, 30, 20, 10, 1)


class Research(TeamUser):
    """The research group: more batches, mostly new inputs."""

    team = "research"
    repeated_share = 0.1
    tasks = _mix(300, 50, 20, 10, 2)


class Billing(TeamUser):
    """Billing's service: steady single predictions, on the default model and on the team's
    own model by alias; reads its history for invoices."""

    team = "billing"
    tasks = {**_mix(500, 40, 25, 10, 1), TeamUser.predict_by_alias: 300}


class Mobile(TeamUser):
    """The mobile app's backend: small, frequent predictions, many repeats."""

    team = "mobile"
    repeated_share = 0.5
    batch_rows = (2, 10)
    tasks = _mix(700, 25, 20, 10, 1)


class DataScience(TeamUser):
    """The data scientists: ship new model versions now and then, label outcomes."""

    team = "datascience"
    repeated_share = 0.2
    tasks = _mix(400, 60, 30, 20, 3)


def _figures(entry) -> dict:
    def pct(q):
        return entry.get_response_time_percentile(q) if entry.num_requests else None

    return {
        "method": entry.method or "",
        "name": entry.name,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": entry.total_rps,
        "p50": pct(0.5),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "max": entry.max_response_time if entry.num_requests else None,
    }


@events.quitting.add_listener
def sla_gate(environment, **_kwargs):
    """p95 of POST /api/v1/predict (steady state) under the bar, almost no failures over the
    whole run, and real traffic."""
    stats = environment.stats
    predict = stats.get(GATED[1], GATED[0])
    p95_all = predict.get_response_time_percentile(0.95) if predict.num_requests else None
    steady = _steady["predict_ms"]
    p95 = _percentile(steady, 0.95)
    seconds = time.time() - _steady["since"] if _steady["since"] else 0
    fail_ratio = stats.total.fail_ratio
    checks = [
        (
            f"POST {PREDICT} answered at all ({predict.num_requests} requests, "
            f"{predict.num_failures} failed)",
            predict.num_requests > predict.num_failures,
        ),
        (
            f"p95 of POST {PREDICT} once all {_steady['ready']} users had signed in "
            f"({len(steady)} requests in the last {seconds:.0f} s) = "
            + ("none" if p95 is None else f"{p95:.0f} ms")
            + f" < {P95_MS:g} ms "
            f"(whole run, ramp-up included: {p95_all} ms)",
            p95 is not None and p95 < P95_MS,
        ),
        (
            f"failure ratio = {fail_ratio * 100:.3f} % < {MAX_FAIL_RATIO * 100:g} % "
            f"({stats.total.num_failures} of {stats.total.num_requests}, whole run)",
            fail_ratio < MAX_FAIL_RATIO,
        ),
    ]
    results = os.environ.get("LOAD_RESULTS")
    if results:  # the final figures (locust's CSV lags them): load/run.py prints this table
        entries = [*sorted(stats.entries.values(), key=lambda e: (e.name, e.method)), stats.total]
        with open(results, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "gate": {
                        "passed": all(ok for _, ok in checks),
                        "checks": [[text, ok] for text, ok in checks],
                    },
                    "entries": [_figures(entry) for entry in entries],
                },
                handle,
            )
    print("\nSLA gate:")
    for text, ok in checks:
        print(f"  [{'PASS' if ok else 'FAIL'}] {text}")
    passed = all(ok for _, ok in checks)
    print(f"SLA gate {'PASSED' if passed else 'FAILED'}\n", flush=True)
    environment.process_exit_code = 0 if passed else 1
