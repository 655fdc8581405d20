"""Two rotations of one key at once, on PostgreSQL: exactly one new key and one 409.

The first rotation is held inside its transaction, its locks taken and its new key
inserted, until the server shows the second one waiting for a lock; then it commits, and
the second, let through, reads the old key afresh. Without the locks the second would
not wait: it would find the key not yet rotated and make a second new key. Needs
``MLAPI_TEST_DATABASE_URL``; skipped without it, like the suite's other PostgreSQL tests.
"""

import threading
import time

import psycopg
import pytest

from mlapi.access_listener import conninfo
from mlapi.keys import service
from tests.support.settings import TEST_DATABASE_URL
from tests.unit.keys.conftest import KEYS

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL only with MLAPI_TEST_DATABASE_URL set"
)

WAIT_BOUND_SECONDS = 10  # how long the second rotation may take to reach the lock


def lock_waits(database_uri: str) -> int:
    """Backends of this test's database waiting for a lock right now."""
    with psycopg.connect(conninfo(database_uri), autocommit=True) as connection:
        return connection.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0]


def test_two_rotations_of_one_key_at_once_make_one_new_key(
    app, client, create_key, auth_headers, monkeypatch
):
    old = create_key()
    url = f"{KEYS}/{old['id']}/rotate"
    answers, seen_waiting = [], []

    def second_rotation():
        answers.append(app.test_client().post(url, headers=auth_headers).status_code)

    second = threading.Thread(target=second_rotation)
    check = service._check_rotatable

    def first_holds_until_the_second_waits(key, now):
        if threading.current_thread() is not second:
            second.start()
            deadline = time.monotonic() + WAIT_BOUND_SECONDS
            while second.is_alive() and time.monotonic() < deadline:
                if lock_waits(app.config["SQLALCHEMY_DATABASE_URI"]):
                    seen_waiting.append(True)
                    break
                time.sleep(0.01)  # polling, up to the bound
        return check(key, now)

    monkeypatch.setattr(service, "_check_rotatable", first_holds_until_the_second_waits)
    answers.append(client.post(url, headers=auth_headers).status_code)
    second.join(WAIT_BOUND_SECONDS)

    assert seen_waiting == [True], "the second rotation never waited for the first's locks"
    assert sorted(answers) == [201, 409]
    listed = client.get(KEYS, headers=auth_headers).get_json()["items"]
    assert len(listed) == 2
