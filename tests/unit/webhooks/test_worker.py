"""Who sends: claims, the worker thread, ``flask webhooks deliver``, and restarts."""

from datetime import timedelta

import pytest

from mlapi import create_app
from mlapi.extensions import db
from mlapi.timeutil import utcnow
from mlapi.webhooks.addresses import RESOLVER_KEY, static_resolver
from mlapi.webhooks.claims import claim_due, claim_lease
from mlapi.webhooks.dispatch import Dispatcher, deliver_due
from mlapi.webhooks.models import DELIVERED, WebhookDelivery
from mlapi.webhooks.worker import EXTENSION_KEY, Worker, ensure_worker
from tests.unit.webhooks.conftest import HOOK_URL, PUBLIC_IP


@pytest.fixture
def queued(create_hook, upload_model, auth_headers) -> dict:
    """A hook with one delivery waiting for it."""
    hook = create_hook(auth_headers)
    upload_model(auth_headers, "churn")
    return hook


def delivery_ids(app) -> list[int]:
    with app.app_context():
        ids = list(db.session.execute(db.select(WebhookDelivery.id)).scalars())
        db.session.remove()
        return ids


def test_only_one_sender_claims_a_delivery(app, queued):
    [delivery_id] = delivery_ids(app)
    now = utcnow()
    with app.app_context():
        assert claim_due(now, 8) == [delivery_id]
        assert claim_due(now, 8) == []  # a second worker, same moment
        assert claim_due(now + timedelta(seconds=1), 8) == []
        # A sender that died mid-send: its claim runs out and the row is sent again.
        assert claim_due(now + claim_lease() + timedelta(seconds=1), 8) == [delivery_id]


def test_a_claimed_delivery_is_not_sent_by_another_worker(app, queued, receiver):
    [delivery_id] = delivery_ids(app)
    with app.app_context():
        assert claim_due(utcnow(), 8) == [delivery_id]
        assert deliver_due(utcnow() + timedelta(seconds=1)) == {}
    assert len(receiver.calls) == 0


def test_the_cli_sends_what_is_due(app, queued, receiver):
    receiver.post(HOOK_URL, status=200)
    result = app.test_cli_runner().invoke(args=["webhooks", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Made 1 delivery attempt: 1 delivered." in result.output
    assert len(receiver.calls) == 1
    again = app.test_cli_runner().invoke(args=["webhooks", "deliver"])
    assert "Made 0 delivery attempts." in again.output


def test_a_new_app_on_the_same_database_sends_what_an_old_one_queued(
    app, app_config, queued, receiver
):
    with app.app_context():  # the first process goes away before sending anything
        db.session.remove()
        db.engine.dispose()
    restarted = create_app(app_config)
    restarted.extensions[RESOLVER_KEY] = static_resolver({"hooks.example.com": [PUBLIC_IP]})
    receiver.post(HOOK_URL, status=200)
    with restarted.app_context():
        assert deliver_due() == {"delivered": 1}
        assert db.session.execute(db.select(WebhookDelivery.status)).scalar_one() == DELIVERED
        db.session.remove()
        db.engine.dispose()
    assert receiver.calls[0].request.headers["X-MLAPI-Event"] == "model.created"


def test_the_worker_sends_due_deliveries(app, queued, receiver):
    receiver.post(HOOK_URL, status=200)
    worker = Worker(app)
    worker.run_once()  # hands the delivery to the pool and returns
    assert worker.dispatcher.wait_idle(timeout=30)
    assert len(receiver.calls) == 1


def test_the_worker_survives_errors(app, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Dispatcher, "fill", broken)
    Worker(app).run_once()
    assert "sending failed" in caplog.text


def test_the_worker_thread_starts_once_and_stops(app):
    worker = ensure_worker(app)
    try:
        assert worker.thread.is_alive()
        assert worker.thread.daemon
        assert ensure_worker(app) is worker
    finally:
        worker.stop(timeout=5)
    assert not worker.thread.is_alive()


def test_no_worker_runs_in_tests(app, client):
    assert app.config["WEBHOOK_WORKER"] is False
    client.get("/livez")
    assert EXTENSION_KEY not in app.extensions


def test_an_app_with_the_worker_on_starts_it_with_its_first_request(configured_app, request):
    app = configured_app(WEBHOOK_WORKER=True)
    client = request.getfixturevalue("client")
    client.get("/livez")
    worker = app.extensions[EXTENSION_KEY]
    try:
        assert worker.thread.is_alive()
        client.get("/livez")
        assert app.extensions[EXTENSION_KEY] is worker
    finally:
        worker.stop(timeout=5)
