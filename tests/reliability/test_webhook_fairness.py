"""One user's dead receivers do not hold up another user's webhook deliveries:
deliveries go out concurrently through a bounded pool, round-robin by
hook owner, at most two of one owner's at a time.

Sent one after another, twenty hooks to a dead address delayed another user's delivery by
a minute. Here the dead receivers are ``responses`` callbacks that block until the test
releases them, so the tests assert on what was sent while they hang, never on durations.
Every wait has a generous guard so that a regression fails instead of hanging the suite.
"""

import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from mlapi.extensions import db
from mlapi.timeutil import utcnow
from mlapi.webhooks import dispatch
from mlapi.webhooks.claims import claim_due
from mlapi.webhooks.models import Webhook, WebhookDelivery
from mlapi.webhooks.worker import Worker
from tests.unit.webhooks.conftest import (  # noqa: F401
    HOOK_URL,
    PUBLIC_IP,
    create_hook,
    deliver,
    dns,
    receiver,
)

DEAD_URL = "https://dead.example.com/mlapi"
GUARD_SECONDS = 30  # only ever reached when the behaviour under test is broken


@dataclass
class HangingReceiver:
    """A receiver that takes every request and answers none until released."""

    released: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)
    started: int = 0
    in_flight: int = 0
    most_in_flight: int = 0

    def __call__(self, _request):
        with self.changed:
            self.started += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.changed.notify_all()
        self.released.wait(GUARD_SECONDS)
        with self.changed:
            self.in_flight -= 1
        return 200, {}, ""

    def wait_started(self, count: int) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.started >= count, GUARD_SECONDS)


@dataclass
class Receiver:
    """A healthy receiver that says when it has been called."""

    called: threading.Event = field(default_factory=threading.Event)

    def __call__(self, _request):
        self.called.set()
        return 204, {}, ""


@pytest.fixture
def app_config(app_config):
    app_config["MAX_WEBHOOKS"] = 20  # the attack as it was found: twenty dead hooks
    return app_config


@pytest.fixture
def dead(dns, receiver) -> HangingReceiver:  # noqa: F811
    dns["dead.example.com"] = [PUBLIC_IP]
    hanging = HangingReceiver()
    receiver.add_callback("POST", DEAD_URL, callback=hanging)
    yield hanging
    hanging.released.set()


@pytest.fixture
def healthy(receiver) -> Receiver:  # noqa: F811
    healthy = Receiver()
    receiver.add_callback("POST", HOOK_URL, callback=healthy)
    return healthy


@pytest.fixture
def people(make_user, sign_in):
    """Signed-in headers of new users, one per call."""
    return lambda: sign_in(make_user()).headers


def queue_for(headers, create_hook, upload_model, url: str, hooks: int) -> None:  # noqa: F811
    """``hooks`` hooks of one user at ``url``, and one upload that queues a delivery each."""
    for _ in range(hooks):
        create_hook(headers, url)
    upload_model(headers, "churn")


def in_background(target) -> tuple[threading.Thread, list]:
    results: list = []
    thread = threading.Thread(target=lambda: results.append(target()), daemon=True)
    thread.start()
    return thread, results


def test_a_dead_receiver_does_not_hold_up_another_users_delivery(
    people,
    create_hook,  # noqa: F811
    upload_model,
    deliver,  # noqa: F811
    dead,
    healthy,
):
    alice, bob = people(), people()
    queue_for(alice, create_hook, upload_model, DEAD_URL, hooks=20)  # older: queued first
    queue_for(bob, create_hook, upload_model, HOOK_URL, hooks=1)

    sending, outcomes = in_background(deliver)
    try:
        assert healthy.called.wait(GUARD_SECONDS), (
            "Bob's delivery waited behind Alice's dead receivers"
        )
        assert dead.wait_started(2)
        assert dead.started == 2  # Alice's twenty hold two slots, no more, until released
    finally:
        dead.released.set()
        sending.join(GUARD_SECONDS)

    assert outcomes == [{"delivered": 21}]
    assert dead.started == 20
    assert dead.most_in_flight == 2


def test_the_worker_sends_a_delivery_queued_while_another_users_hang(
    app,
    people,
    create_hook,  # noqa: F811
    upload_model,
    dead,
    healthy,
):
    alice, bob = people(), people()
    queue_for(alice, create_hook, upload_model, DEAD_URL, hooks=20)
    worker = Worker(app, interval=0.05)
    worker.thread.start()
    try:
        assert dead.wait_started(1)
        queue_for(bob, create_hook, upload_model, HOOK_URL, hooks=1)  # after Alice's hang

        assert healthy.called.wait(GUARD_SECONDS), (
            "the worker waited for Alice's dead receivers before sending Bob's delivery"
        )
        assert dead.started <= 2
    finally:
        dead.released.set()
        worker.stop(timeout=GUARD_SECONDS)


def test_the_pool_is_bounded(configured_app, request):
    configured_app(WEBHOOK_CONCURRENCY=3)
    people, create, upload, dead, send_due = (
        request.getfixturevalue(name)
        for name in ("people", "create_hook", "upload_model", "dead", "deliver")
    )
    for _ in range(3):  # three users with two hanging deliveries each: six for three slots
        queue_for(people(), create, upload, DEAD_URL, hooks=2)

    sending, outcomes = in_background(send_due)
    try:
        assert dead.wait_started(3)
        assert dead.started == 3  # none ends before the release, so none more can start
    finally:
        dead.released.set()
        sending.join(GUARD_SECONDS)

    assert outcomes == [{"delivered": 6}]
    assert dead.most_in_flight == 3


@dataclass
class CountingSender:
    """Stands in for ``send`` in the dispatchers: counts each owner's sends running at
    once, and holds every send of ``held`` owners until ``released``."""

    real: object
    owner_of: dict[int, int]
    held: set[int]
    released: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)
    running: Counter = field(default_factory=Counter)
    most: Counter = field(default_factory=Counter)
    sent: Counter = field(default_factory=Counter)

    def __call__(self, delivery_id: int, now):
        owner = self.owner_of[delivery_id]
        with self.changed:
            self.running[owner] += 1
            self.most[owner] = max(self.most[owner], self.running[owner])
            self.changed.notify_all()
        try:
            if owner in self.held:
                self.released.wait(GUARD_SECONDS)
            return self.real(delivery_id, now)
        finally:
            with self.changed:
                self.running[owner] -= 1
                self.sent[owner] += 1
                self.changed.notify_all()

    def wait_for(self, condition) -> bool:
        with self.changed:
            return self.changed.wait_for(condition, GUARD_SECONDS)


def test_two_hosts_together_send_two_of_one_owners_deliveries_at_a_time(
    app,
    make_user,
    sign_in,
    create_hook,  # noqa: F811
    upload_model,
    receiver,  # noqa: F811
    monkeypatch,
):
    """Two workers (two hosts: each its own pool) share the database's count of Alice's
    deliveries in flight: together they never send more than two of hers at once."""
    alice, bob = make_user(), make_user()
    queue_for(sign_in(alice).headers, create_hook, upload_model, HOOK_URL, hooks=10)
    queue_for(sign_in(bob).headers, create_hook, upload_model, HOOK_URL, hooks=1)
    receiver.post(HOOK_URL, status=204)
    with app.app_context():
        owners = dict(
            db.session.execute(select(WebhookDelivery.id, Webhook.owner_id).join(Webhook)).all()
        )
        db.session.remove()
    sender = CountingSender(dispatch.send, owners, held={alice.id})
    monkeypatch.setattr(dispatch, "send", sender)
    hosts = [Worker(app, interval=0.01), Worker(app, interval=0.01)]
    for host in hosts:
        host.thread.start()
    try:
        assert sender.wait_for(lambda: sender.sent[bob.id] == 1 and sender.running[alice.id] == 2)
        with app.app_context():  # what a third host would get now: nothing
            assert claim_due(utcnow(), 8) == []
            db.session.remove()
        sender.released.set()
        assert sender.wait_for(lambda: sender.sent[alice.id] == 10)
    finally:
        sender.released.set()
        for host in hosts:
            host.stop(timeout=GUARD_SECONDS)
    assert sender.most[alice.id] == 2
