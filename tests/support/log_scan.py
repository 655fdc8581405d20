"""Every test fails when a log line written during it holds a session secret."""

import logging

import pytest

from mlapi.ops.logs import flush_logs
from tests.contract_client import secret_log_handler


@pytest.fixture(scope="session")
def _secret_log_handler():
    """One handler on the root logger for the whole session (tests/contract_client.py)."""
    root = logging.getLogger()
    root.addHandler(secret_log_handler)
    yield secret_log_handler
    root.removeHandler(secret_log_handler)


@pytest.fixture(autouse=True)
def _no_secret_in_any_log_line(_secret_log_handler):
    """Passwords and once-shown secrets are never logged: a log record of this
    test that holds one fails it, also one written outside a request of the test client
    (a CLI command, a worker thread)."""
    _secret_log_handler.take()  # what earlier code logged is not this test's doing
    yield
    flush_logs()  # lines still queued are written while this test's output is captured
    leaks = _secret_log_handler.take()
    if leaks:
        pytest.fail("secret in the logs: " + "; ".join(leaks), pytrace=False)
