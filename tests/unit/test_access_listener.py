"""The access listener's logic (mlapi/access_listener.py) with an injected clock and a
fake connection: when requests may trust the cache without reading the counter, when a
notification empties it, and what a lost connection and a reconnection do.

The same against a real PostgreSQL server: tests/unit/test_access_listener_pg.py."""

import psycopg
import pytest
from flask import Flask

from mlapi import access_cache as access_cache_module
from mlapi.access_cache import CHANNEL, AccessCache
from mlapi.access_listener import FRESH_SECONDS, MAX_BACKOFF_SECONDS, Listener, conninfo


class Result:
    def __init__(self, row):
        self.row = row

    def fetchone(self):
        return self.row


class FakeConnection:
    """What the listener sends (``sent``), the notifications the server has queued for it
    (``queued``), and ``broken``: every statement fails as on a terminated backend."""

    def __init__(self, counter: int):
        self.counter, self.sent, self.queued = counter, [], []
        self.broken = self.closed = False

    def execute(self, sql, _params=None):
        if self.broken:
            raise psycopg.OperationalError("terminating connection due to administrator command")
        self.sent.append(sql.split()[0])
        return Result((self.counter,))

    def notifies(self, timeout):
        queued, self.queued = self.queued, []
        return iter(queued)

    def notify(self, value) -> None:
        self.queued.append(psycopg.Notify(CHANNEL, str(value), 4242))

    def close(self):
        self.closed = True


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class CounterReads(list):
    """The values the requests' counter reads returned; the next ones return ``value``."""

    value = 7

    def __call__(self, _statement, _parameters=None):
        self.append(self.value)
        return self.value


@pytest.fixture
def counter_reads(monkeypatch):
    reads = CounterReads()
    monkeypatch.setattr(access_cache_module, "read_scalar", reads)
    return reads


@pytest.fixture
def world(counter_reads):
    """A cache, a listener on it (not started: tests call ``run_once``), its connections."""

    class World:
        flask = Flask(__name__)
        cache = AccessCache()
        clock = Clock()
        connections = [FakeConnection(7)]
        listener = Listener(
            cache,
            lambda: World.connections[0],
            clock=clock,
            wait=lambda _seconds: None,
            readable=lambda connection, _seconds: bool(connection.queued),
        )

        def request(self):
            """A request's context: the cache takes its epoch once per request."""
            return self.flask.test_request_context()

    World.cache.listener = World.listener
    return World()


def cached(world, key):
    with world.request():
        return world.cache.get("users", key)


def fill(world, key, value):
    with world.request():
        world.cache.put("users", key, value)


def test_a_new_listener_listens_before_reading_the_counter_then_spares_every_read(
    world, counter_reads
):
    assert not world.listener.connected()
    assert world.listener.run_once()
    assert world.connections[0].sent[:2] == ["LISTEN", "SELECT"]
    fill(world, 1, "alice")
    assert cached(world, 1) == "alice"
    assert counter_reads == []


def test_the_cache_is_trusted_only_while_a_probe_answered_less_than_100_ms_ago(
    world, counter_reads
):
    """A half-open connection: the probe never answers, so the heartbeat just ages."""
    world.listener.run_once()
    fill(world, 1, "alice")
    world.clock.now += FRESH_SECONDS - 0.001
    assert world.listener.connected()
    assert cached(world, 1) == "alice"
    assert counter_reads == []

    world.clock.now += 0.002
    assert not world.listener.connected()
    for _ in range(3):
        assert cached(world, 1) == "alice"  # the counter did not move: the entry stays
    assert counter_reads == [7, 7, 7]  # one read per request, as without a listener

    counter_reads.value = 8  # a change the listener may have missed
    assert cached(world, 1) is None


def test_a_notification_of_a_new_value_empties_the_cache_and_a_seen_one_does_not(world):
    world.listener.run_once()
    fill(world, 1, "alice")
    world.connections[0].notify(8)
    world.listener.run_once()
    assert cached(world, 1) is None

    fill(world, 1, "alice (after the change)")
    world.connections[0].notify(8)  # this process's own change, applied after its commit
    world.listener.run_once()
    assert cached(world, 1) == "alice (after the change)"


def test_a_notification_that_is_not_a_counter_value_empties_the_cache_too(world):
    world.listener.run_once()
    fill(world, 1, "alice")
    world.connections[0].notify("sent by hand")
    world.listener.run_once()
    assert cached(world, 1) is None
    fill(world, 1, "alice")  # the counter was read again: caching goes on
    assert cached(world, 1) == "alice"


def test_a_lost_connection_means_reading_per_request_then_a_full_drop_on_reconnect(
    world, counter_reads
):
    world.listener.run_once()
    fill(world, 1, "alice")
    first = world.connections[0]
    first.broken = True
    assert not world.listener.run_once()
    assert first.closed
    assert not world.listener.connected()  # at once, without waiting for the heartbeat to age
    assert cached(world, 1) == "alice"
    assert counter_reads == [7]

    world.connections[0] = FakeConnection(7)  # the server is back; the counter did not move
    assert world.listener.run_once()
    assert world.connections[0].sent[:2] == ["LISTEN", "SELECT"]
    assert cached(world, 1) is None  # dropped anyway: a notification may have been lost
    assert counter_reads == [7]


def test_a_fill_that_started_before_a_change_is_not_stored(world):
    world.listener.run_once()
    with world.request():
        assert world.cache.get("users", 1) is None  # the request takes its epoch here
        world.cache.changed(8)  # a logout commits meanwhile (this worker, or a notification)
        world.cache.put("users", 1, "alice, as loaded before the logout")
    assert cached(world, 1) is None


def test_failed_connections_are_retried_less_and_less_often(world):
    world.connections[0].broken = True
    waits = []
    for _ in range(8):
        assert not world.listener.run_once()
        waits.append(world.listener.next_wait())
    assert waits == sorted(waits)
    assert waits[0] < 0.5
    assert waits[-1] == MAX_BACKOFF_SECONDS


def test_stop_ends_the_thread_and_closes_its_connection(world):
    world.listener.thread.start()
    world.listener.stop(timeout=10)
    assert not world.listener.thread.is_alive()
    assert world.connections[0].closed
    assert not world.listener.connected()


def test_the_connection_uses_the_apps_database_url_without_the_driver():
    assert (
        conninfo("postgresql+psycopg://app:s3cret@db.internal:5432/mlapi")
        == "postgresql://app:s3cret@db.internal:5432/mlapi"
    )
