"""``flask run`` logs each request once: the access line, not werkzeug's own line as well.

The app is served by werkzeug's development server (what ``flask run`` starts) in a thread
of the test, on a free port, and asked for a page over a real socket.
"""

import logging
import socket
import threading
import urllib.request
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server


@contextmanager
def dev_server(app):
    server = make_server("127.0.0.1", 0, app)
    server.log_startup()  # the banner "flask run" prints
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()


def lines_of(caplog, logger: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == logger]


def fetch(url: str) -> int:
    with urllib.request.urlopen(url) as response:  # noqa: S310  (a local test server)
        return response.status


def test_each_request_is_logged_once_and_the_banner_stays(configured_app, caplog):
    app = configured_app(LOG_LEVEL="INFO")
    caplog.set_level(logging.INFO)

    with dev_server(app) as base:
        assert fetch(f"{base}/livez?probe=1") == 200

    [access] = lines_of(caplog, "mlapi.access")
    assert access.startswith("GET /livez 200")
    werkzeug = lines_of(caplog, "werkzeug")
    assert any("Running on http://127.0.0.1:" in line for line in werkzeug)
    assert not any("GET /livez" in line for line in werkzeug)


def test_werkzeug_still_reports_what_the_app_never_saw(configured_app, caplog):
    """A request line the server cannot parse never reaches the app: werkzeug's error says so."""
    app = configured_app(LOG_LEVEL="INFO")
    caplog.set_level(logging.INFO)

    with dev_server(app) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as raw:
            raw.sendall(b"NONSENSE\r\n\r\n")
            assert b"400" in raw.recv(4096)

    errors = [r for r in caplog.records if r.name == "werkzeug" and r.levelno >= logging.ERROR]
    assert any("400" in record.getMessage() for record in errors)


@pytest.mark.parametrize("level", ["WARNING", "ERROR"])
def test_without_access_lines_werkzeug_keeps_its_own(configured_app, caplog, level):
    """An operator who turns the app's log down to warnings still sees requests in dev."""
    app = configured_app(LOG_LEVEL=level)
    caplog.set_level(logging.INFO, logger="werkzeug")

    with dev_server(app) as base:
        fetch(f"{base}/livez")

    assert lines_of(caplog, "mlapi.access") == []
    assert any("GET /livez" in line for line in lines_of(caplog, "werkzeug"))
