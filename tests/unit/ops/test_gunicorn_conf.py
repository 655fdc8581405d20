"""gunicorn.conf.py: workers, thread pinning, logs and the Prometheus multiprocess hooks.

The file is loaded as gunicorn loads it (executed as a module); its hooks are called with
stand-ins for gunicorn's arbiter and worker. tests/services runs it for real.
"""

import json
import logging
import os
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

CONF = Path(__file__).resolve().parents[3] / "gunicorn.conf.py"
POOLS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


@pytest.fixture
def load(monkeypatch):
    """Load the config with a clean slate of the variables it reads or sets; each is put
    back as it was afterwards (setenv records the old value, even an absent one: delenv of
    an absent variable records nothing, and a value the hooks set would leak)."""
    for variable in (
        *POOLS,
        "MLAPI_WORKERS",
        "MLAPI_BIND",
        "MLAPI_CONTROL_SOCKET",
        "PROMETHEUS_MULTIPROC_DIR",
    ):
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)

    def load(**env) -> dict:
        for variable, value in env.items():
            monkeypatch.setenv(variable, value)
        return runpy.run_path(str(CONF))

    return load


@pytest.fixture
def server():
    return SimpleNamespace(log=logging.getLogger("test.gunicorn"))


def test_thread_pools_are_pinned_to_one_unless_set(load):
    load(OPENBLAS_NUM_THREADS="4")
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"
    assert all(os.environ[v] == "1" for v in POOLS if v != "OPENBLAS_NUM_THREADS")


def test_sync_workers_one_per_core_by_default(load):
    conf = load()
    assert conf["worker_class"] == "sync"
    assert conf["workers"] == (os.cpu_count() or 1)
    assert conf["preload_app"] is False
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["graceful_timeout"] > 0
    assert conf["timeout"] > 0
    assert conf["accesslog"] is None  # the app writes the one access line per request
    assert conf["control_socket_disable"] is True


def test_workers_and_bind_from_the_environment(load):
    conf = load(
        MLAPI_WORKERS="3",
        MLAPI_BIND="0.0.0.0:8000,[::]:8000",
        MLAPI_CONTROL_SOCKET="/run/mlapi/gunicorn.ctl",
    )
    assert conf["workers"] == 3
    assert conf["bind"] == ["0.0.0.0:8000", "[::]:8000"]
    assert conf["control_socket"] == "/run/mlapi/gunicorn.ctl"
    assert "control_socket_disable" not in conf


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_bad_worker_count_refuses_to_start(load, value):
    with pytest.raises(RuntimeError, match="MLAPI_WORKERS"):
        load(MLAPI_WORKERS=value)


def test_a_private_metrics_directory_is_made_and_removed(load, server):
    conf = load()
    conf["on_starting"](server)
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert directory.is_dir()
    assert not any(directory.iterdir())
    conf["on_exit"](server)
    assert not directory.exists()


def test_a_given_metrics_directory_is_emptied_of_an_earlier_runs_files(load, server, tmp_path):
    (tmp_path / "counter_123.db").write_bytes(b"stale")
    (tmp_path / "README").write_text("not ours")
    conf = load(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    conf["on_starting"](server)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README"]
    conf["on_exit"](server)
    assert tmp_path.is_dir()  # the operator's directory stays


def test_an_exited_worker_is_marked_dead(load, server, monkeypatch):
    from prometheus_client import multiprocess

    dead = []
    monkeypatch.setattr(multiprocess, "mark_process_dead", dead.append)
    load()["child_exit"](server, SimpleNamespace(pid=4242))
    assert dead == [4242]


def test_gunicorns_own_lines_are_json(load):
    formatter = load()["JsonLogFormatter"]()
    record = logging.LogRecord(
        "gunicorn.error", logging.INFO, __file__, 1, "Booting worker with pid: %s", (7,), None
    )
    line = json.loads(formatter.format(record))
    assert line["message"] == "Booting worker with pid: 7"
    assert (line["level"], line["logger"]) == ("INFO", "gunicorn.error")
    assert line["ts"].endswith("Z")


def test_responses_name_no_server_software(load, monkeypatch):
    """gunicorn's ``Server`` header is the one banner the app cannot remove itself; the
    header line is built here as gunicorn builds it for each response, with no server."""
    from gunicorn.http import wsgi

    monkeypatch.setattr(wsgi, "SERVER", wsgi.SERVER)  # put back after the test
    load()
    request = SimpleNamespace(version=(1, 1), method="GET", headers=[])
    response = wsgi.Response(request, sock=None, cfg=SimpleNamespace(is_ssl=False))
    response.status = "200 OK"
    response.upgrade = False
    response.should_close = lambda: False

    server_lines = [
        line for line in response.default_headers() if line.lower().startswith("server:")
    ]
    assert server_lines == ["Server: mlapi\r\n"]


def test_an_exiting_worker_stops_its_access_listener(load, server, app):
    from mlapi.access_listener import EXTENSION_KEY

    stopped = []
    app.extensions[EXTENSION_KEY] = SimpleNamespace(pid=os.getpid(), stop=stopped.append)
    load()["worker_exit"](server, SimpleNamespace(wsgi=app))
    assert stopped == [1.0]
