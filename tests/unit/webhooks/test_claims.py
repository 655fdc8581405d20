"""Fair claiming: round-robin by hook owner, at most two of one owner's deliveries in flight
on every sender together, and a retry waiting out its back-off holds no slot.

The queue is filled with ``events.enqueue`` (what an upload does); the clock is passed in.
"""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from mlapi.extensions import db
from mlapi.timeutil import utcnow
from mlapi.webhooks import events
from mlapi.webhooks.claims import PER_OWNER, claim_due, claim_lease
from mlapi.webhooks.delivery import send
from mlapi.webhooks.models import Webhook, WebhookDelivery
from tests.unit.webhooks.conftest import HOOK_URL

SLOTS = 8  # a sender with a pool of eight threads


@pytest.fixture
def owners(make_user, sign_in, create_hook):
    """New users with one hook each: ``owners(n)`` → their ids."""

    def make(count: int) -> list[int]:
        made = []
        for _ in range(count):
            person = make_user()
            create_hook(sign_in(person).headers)
            made.append(person.id)
        return made

    return make


def queue(app, owner_id: int, count: int) -> None:
    with app.app_context():
        for number in range(count):
            events.enqueue(db.session, "model.created", owner_id, {"number": number})
        db.session.commit()
        db.session.remove()


def claim(app, now, limit: int = SLOTS) -> list[int]:
    with app.app_context():
        try:
            return claim_due(now, limit)
        finally:
            db.session.remove()


def owner_of(app) -> dict[int, int]:
    """Delivery id → its hook's owner."""
    with app.app_context():
        rows = db.session.execute(select(WebhookDelivery.id, Webhook.owner_id).join(Webhook)).all()
        db.session.remove()
        return dict(rows)


def test_a_second_owner_is_served_in_the_first_round_behind_a_backlog(app, owners):
    alice, bob = owners(2)
    queue(app, alice, 50)  # older
    queue(app, bob, 1)
    mine = owner_of(app)
    now = utcnow()

    first = claim(app, now, limit=2)  # even with two free threads only
    assert [mine[delivery] for delivery in first] == [alice, bob]

    more = claim(app, now)
    assert [mine[delivery] for delivery in more] == [alice]  # Alice's second slot, no more


def test_each_owners_first_slot_comes_before_anyones_second(app, owners):
    people = owners(4)
    for person in people:
        queue(app, person, 3)
    mine = owner_of(app)
    claimed = [mine[delivery] for delivery in claim(app, utcnow())]
    assert claimed == people + people  # round-robin, oldest waiting first


def test_no_sender_takes_a_third_of_one_owners_deliveries(app, owners):
    [alice] = owners(1)
    queue(app, alice, 10)
    now = utcnow()
    assert len(claim(app, now)) == PER_OWNER
    assert claim(app, now) == []  # another sender, host or process: the slots are taken
    assert claim(app, now + timedelta(seconds=5)) == []


def test_a_sender_that_died_frees_its_slot_when_its_claim_runs_out(app, owners):
    [alice] = owners(1)
    queue(app, alice, 3)
    now = utcnow()
    assert len(claim(app, now)) == 2
    later = now + claim_lease() + timedelta(seconds=1)
    assert len(claim(app, later)) == 2  # the two abandoned ones are due again, nothing more


def test_a_retry_waiting_out_its_backoff_holds_no_slot(app, owners, receiver):
    [alice] = owners(1)
    queue(app, alice, 3)
    receiver.post(HOOK_URL, status=503)
    now = utcnow()
    first = claim(app, now)
    with app.app_context():
        assert [send(delivery, now) for delivery in first] == ["retrying", "retrying"]
        db.session.remove()
    [third] = claim(app, now)
    assert third not in first


def test_an_owners_next_delivery_goes_out_while_two_wait_to_be_retried(
    app, owners, receiver, deliver
):
    [alice] = owners(1)
    queue(app, alice, 3)
    failing = set(sorted(owner_of(app))[:2])  # the two oldest: the first two slots

    def answer(request):
        return (503 if int(request.headers["X-MLAPI-Delivery"]) in failing else 204), {}, ""

    receiver.add_callback("POST", HOOK_URL, callback=answer)
    start = utcnow()
    assert deliver(at=start) == {"retrying": 2, "delivered": 1}
    failing.clear()
    assert deliver(1.5, at=start) == {"delivered": 2}  # the retries, once their back-off ends


def test_concurrent_senders_together_hold_two_of_one_owners_deliveries(app, owners):
    """Eight senders claim at once (threads standing in for hosts), each at its own clock."""
    [alice] = owners(1)
    queue(app, alice, 20)
    start, senders = utcnow(), 8
    ready = threading.Barrier(senders)
    claimed: list[int] = []
    lock = threading.Lock()

    def sender(offset: int) -> None:
        ready.wait(timeout=30)
        got = claim(app, start + timedelta(milliseconds=offset))
        with lock:
            claimed.extend(got)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(claimed) == PER_OWNER
    assert len(set(claimed)) == PER_OWNER
