"""The provider states of the consumers' pacts, set up through mlapi's service layer.

Every state name teams may use (the list both sides agreed on) has a pattern in
``ProviderStates.states``. A state runs in the test process, in an app built on the same
database and model store as the mlapi under verification; it returns the values the pacts'
provider-state generators put into the request (tokens, the API key, ids), so no pact
carries a real secret or a fixed id.

An interaction's states all build on one empty database: the first setup after a teardown
puts the database back to the rows of the first start (``SeedRows``), and each state only
adds what is missing, so "alice has an account" then "alice has a private model named m"
make one alice. The running server keeps per-process caches: the reset moves the access
counter on (never back, so no worker can mistake it for a value it has seen), which makes
every worker drop its cache of callers and of the default model at its next request.
"""

import re
from collections.abc import Callable

import numpy as np
from flask import Flask
from sqlalchemy import select

from mlapi.admin.service import set_default_model
from mlapi.auth import service as accounts
from mlapi.auth.models import User
from mlapi.extensions import db
from mlapi.keys.service import create_key
from mlapi.predictions.feedback import give_feedback
from mlapi.predictions.models import Feedback, Prediction
from mlapi.predictions.service import predict
from mlapi.registry.models import VISIBILITY_PRIVATE, VISIBILITY_PUBLIC, MLModel
from mlapi.registry.service import delete_model
from mlapi.registry.upload import upload_model
from mlapi.webhooks.events import FEEDBACK_GIVEN, MODEL_CREATED, MODEL_DELETED
from mlapi.webhooks.models import Webhook, WebhookDelivery
from mlapi.webhooks.service import create_webhook
from tests.support.apps import SeedRows
from tests.support.pact_provider import state_name

PASSWORD = "correct horse battery staple 42"  # the consumers' agreed test password
FEATURES = ["age", "bmi", "bp", "glucose"]
SAMPLE = {"age": 52, "bmi": 31.5, "bp": 88, "glucose": 140}
EVENTS = (MODEL_CREATED, MODEL_DELETED, FEEDBACK_GIVEN)
_artifact: bytes | None = None


def team_model_artifact() -> bytes:
    """A logistic regression on four clinical-looking features, classes 0 and 1, as skops."""
    global _artifact
    if _artifact is None:
        import skops.io as sio
        from sklearn.linear_model import LogisticRegression

        rows = np.random.default_rng(18)
        x = np.column_stack(
            [
                rows.uniform(20, 80, 400),
                rows.uniform(18, 40, 400),
                rows.uniform(60, 120, 400),
                rows.uniform(70, 200, 400),
            ]
        )
        y = ((x[:, 3] > 125) | (x[:, 1] > 32)).astype(int)
        _artifact = sio.dumps(LogisticRegression(max_iter=2000).fit(x, y))
    return _artifact


def team_of(username: str) -> str:
    return username.removesuffix("-app")


class ProviderStates:
    """``setup(name, params)`` -> values for the request; ``message(description, states)``
    -> the body mlapi queued for the event the description names."""

    def __init__(self, app: Flask):
        self.app = app
        with app.app_context():
            # The counter is left out: it only ever moves on (``_reset``).
            self.seed = SeedRows(
                db.engine.url.render_as_string(hide_password=False), keep=("change_counters",)
            )
        self.dirty = True  # the first setup starts from the seed rows too
        self.values: dict = {}
        self.states: list[tuple[re.Pattern, Callable[..., dict]]] = [
            (re.compile(pattern), handler)
            for pattern, handler in (
                (r"(?P<user>\S+) has an account", self._account),
                (
                    r"(?P<owner>\S+) has a private model named (?P<model>\S+) that "
                    r"(?P<user>\S+) cannot see",
                    self._hidden_model,
                ),
                (r"(?P<user>\S+) has a private model named (?P<model>\S+)", self._private),
                (r"(?P<user>\S+) has a public model named (?P<model>\S+)", self._public),
                (r"(?P<user>\S+) has made a prediction with (?P<model>\S+)", self._prediction),
                (r"(?P<user>\S+) has given feedback on a prediction", self._feedback),
                (r"(?P<user>\S+) has an API key named (?P<key>.+)", self._api_key),
                (r"the default model is (?P<model>\S+) of (?P<user>\S+)", self._default),
                (r"no model has the id (?P<model_id>\d+)", self._no_model),
                (r"(?P<user>\S+) has a webhook for model events", self._webhook),
            )
        ]

    # -- the verifier's calls -------------------------------------------------------------
    def setup(self, name: str, params: dict | None) -> dict:
        """Put the state in place; the values of every state of the interaction so far."""
        name = state_name(name, params)
        for pattern, handler in self.states:
            found = pattern.fullmatch(name)
            if found:
                with self.app.app_context():
                    if self.dirty:
                        self._reset()
                    self.values.update(handler(**found.groupdict()))
                return dict(self.values)
        raise LookupError(
            f"no provider state named {name!r} (the names are in tests/contract/pact_states.py)"
        )

    def teardown(self) -> None:
        self.dirty = True

    def message(self, description: str, states: list[dict]) -> bytes:
        """The body mlapi queued for the event named in ``description``, caused by the user
        of the interaction's webhook state performing that action for real."""
        event = next((name for name in EVENTS if name in description), None)
        names = [state_name(state.get("name", ""), state.get("params")) for state in states]
        hook_owner = next(
            (
                found["user"]
                for name in names
                if (found := re.fullmatch(r"(?P<user>\S+) has a webhook for model events", name))
            ),
            None,
        )
        if event is None or hook_owner is None:
            raise LookupError(
                f"message {description!r}: the description must name one of "
                f"{', '.join(EVENTS)} and a state say who has the webhook"
            )
        with self.app.app_context():
            user = self._user(hook_owner)
            model = f"{team_of(hook_owner)}-model"
            if event == MODEL_CREATED:  # a new version when the state made the model already
                self._upload(user, model, VISIBILITY_PRIVATE)
            elif event == MODEL_DELETED:
                delete_model(user, self._model(user, model, VISIBILITY_PRIVATE).id)
            else:
                prediction_id = self._prediction(hook_owner, model)["prediction_id"]
                give_feedback(user, prediction_id, 0, score=2, comment="revised at review")
            return self._queued_body(user, event)

    # -- the states ---------------------------------------------------------------------
    def _account(self, user: str) -> dict:
        return self._signed_in(self._user(user))

    def _private(self, user: str, model: str) -> dict:
        return self._with_model(user, model, VISIBILITY_PRIVATE)

    def _public(self, user: str, model: str) -> dict:
        return self._with_model(user, model, VISIBILITY_PUBLIC)

    def _hidden_model(self, owner: str, model: str, user: str) -> dict:
        record = self._model(self._user(owner), model, VISIBILITY_PRIVATE)
        return {**self._account(user), "model_id": record.id}

    def _prediction(self, user: str, model: str) -> dict:
        values = self._private(user, model)
        caller = self._user(user)
        record = db.session.get(MLModel, values["model_id"])
        existing = db.session.scalar(
            select(Prediction.id).where(
                Prediction.owner_id == caller.id, Prediction.model_id == record.id
            )
        )
        made = existing or predict(caller, record, dict(SAMPLE))["id"]
        return {**values, "prediction_id": made}

    def _feedback(self, user: str) -> dict:
        values = self._prediction(user, f"{team_of(user)}-model")
        if (
            db.session.scalar(
                select(Feedback.id).where(Feedback.prediction_id == values["prediction_id"])
            )
            is None
        ):
            give_feedback(
                self._user(user),
                values["prediction_id"],
                1,
                score=4,
                comment="confirmed at follow-up",
            )
        return values

    def _api_key(self, user: str, key: str) -> dict:
        record, secret = create_key(self._user(user), key)
        return {**self._account(user), "api_key": secret, "key_id": record.id}

    def _default(self, model: str, user: str) -> dict:
        values = self._public(user, model)
        set_default_model(values["model_id"])
        return values

    def _no_model(self, model_id: str) -> dict:
        assert db.session.get(MLModel, int(model_id)) is None, f"model {model_id} exists"
        return {}

    def _webhook(self, user: str) -> dict:
        owner = self._user(user)
        if db.session.scalar(select(Webhook.id).where(Webhook.owner_id == owner.id)) is None:
            create_webhook(
                owner,
                url=f"http://127.0.0.1:9/{team_of(user)}/events",
                events=list(EVENTS),
                name=f"{team_of(user)} events",
            )
        return self._account(user)

    # -- building blocks ----------------------------------------------------------------
    def _reset(self) -> None:
        """Back to the rows of the first start, and the access counter one step on."""
        db.session.remove()
        self.seed.reset()
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE change_counters SET value = value + 1 WHERE name = 'access'"
            )
        self.dirty, self.values = False, {}

    def _user(self, username: str) -> User:
        return accounts.find_account(username) or accounts.register(
            username, f"{username}@example.com", PASSWORD, full_name=f"{username} (pact)"
        )

    def _signed_in(self, user: User) -> dict:
        tokens = accounts.sign_in(user)
        return {"access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"]}

    def _with_model(self, user: str, model: str, visibility: str) -> dict:
        owner = self._user(user)
        return {**self._signed_in(owner), "model_id": self._model(owner, model, visibility).id}

    def _model(self, owner: User, name: str, visibility: str) -> MLModel:
        record = db.session.scalar(
            select(MLModel)
            .where(MLModel.owner_id == owner.id, MLModel.name == name, MLModel.deleted_at.is_(None))
            .order_by(MLModel.version.desc())
            .limit(1)
        )
        if record is None:
            return self._upload(owner, name, visibility)
        if record.visibility != visibility:
            record.visibility = visibility
            db.session.commit()
        return record

    def _upload(self, owner: User, name: str, visibility: str) -> MLModel:
        return upload_model(
            owner,
            data=team_model_artifact(),
            name=name,
            model_type="sklearn",
            visibility=visibility,
            feature_names=FEATURES,
            description=f"{name} for the pact verification",
        )

    def _queued_body(self, user: User, event: str) -> bytes:
        body = db.session.scalar(
            select(WebhookDelivery.body)
            .join(Webhook, WebhookDelivery.webhook_id == Webhook.id)
            .where(Webhook.owner_id == user.id, WebhookDelivery.event == event)
            .order_by(WebhookDelivery.id.desc())
            .limit(1)
        )
        if body is None:
            raise LookupError(f"no {event} delivery queued for {user.username}'s webhook")
        return body.encode()
