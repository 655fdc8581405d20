"""A clock the test moves: time stands still until the test says how much of it passes."""

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time


@pytest.fixture
def clock():
    """From the moment the fixture is set up, the service's clock (and the tokens' checks)
    stands still at that moment; ``clock.tick(seconds)`` moves it on. Threads of the
    standard library (``threading``, ``queue``) keep real time: freezegun's default."""
    with freeze_time(datetime.now(UTC)) as frozen:
        yield frozen
