"""gunicorn settings for mlapi: ``gunicorn -c gunicorn.conf.py wsgi:app`` (docs/production.md).

gunicorn reads this file in the master process before it imports the app, so the thread
pools of numpy, scipy and OpenMP are pinned here, before anything imports numpy: each sync
worker answers one request at a time, and N workers each spawning a pool of one thread per
core oversubscribe the CPU (measured: HistGradientBoosting 6 req/s instead of 2,268).

Environment (everything else comes from the ``MLAPI_*`` settings of the app itself):

- ``MLAPI_BIND``: address to listen on, default ``127.0.0.1:8000`` (``0.0.0.0:8000`` in a
  container behind a load balancer, where nothing else reaches the port: with
  ``MLAPI_TRUSTED_PROXIES`` set, a client connecting directly could forge
  ``X-Forwarded-For``).
- ``MLAPI_WORKERS``: worker processes, default one per core (sync workers beat threads for
  CPU-bound predict).
- ``PROMETHEUS_MULTIPROC_DIR``: where the workers write their metrics so ``/metrics`` and
  ``GET /api/v1/admin/stats`` cover all of them; emptied at start. Unset: a private
  temporary directory is made at start and removed at exit.
- Any other gunicorn setting: ``GUNICORN_CMD_ARGS`` or the command line (both override this
  file), e.g. ``GUNICORN_CMD_ARGS="--timeout 120"``.
"""

import atexit
import json
import logging
import os
import shutil
import tempfile
import time

import gunicorn.http.wsgi
from gunicorn import glogging

# -- thread pools: one thread per worker, set before any worker imports numpy ---------------
for _variable in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ.setdefault(_variable, "1")


def _positive_int(variable: str, default: int) -> int:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise RuntimeError(f"{variable} must be a positive integer, got {raw!r}")
    return value


# -- server ---------------------------------------------------------------------------------
wsgi_app = "wsgi:app"
bind = [
    address.strip()
    for address in os.environ.get("MLAPI_BIND", "127.0.0.1:8000").split(",")
    if address.strip()
]
workers = _positive_int("MLAPI_WORKERS", os.cpu_count() or 1)
# Measured against gthread (one thread, keep-alive) with bench/run.py --worker-classes:
# at 16 connections gthread was never clearly faster and often far slower (docs/production.md).
worker_class = "sync"
# Off: each worker imports the app (and numpy) after the fork, so nothing a C library set
# up in the master (thread pools, database connections) is shared by forked children.
preload_app = False
timeout = 60  # a worker silent this long (a stuck predict or upload) is killed and replaced
graceful_timeout = 30  # on SIGTERM: time to finish the requests in flight
# Seconds; only a threaded or async worker class keeps connections alive (sync closes each
# one after its answer). Keep it below the load balancer's idle timeout.
keepalive = 5
# Heartbeat files in memory, not on a disk that may stall (containers: /tmp is often overlay).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# gunicorn >= 25 opens a control socket at one fixed path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): a second instance on the same machine would take it over.
# Off unless MLAPI_CONTROL_SOCKET names a path for this instance.
if os.environ.get("MLAPI_CONTROL_SOCKET"):
    control_socket = os.environ["MLAPI_CONTROL_SOCKET"]
else:
    control_socket_disable = True
proc_name = "mlapi"
# gunicorn answers every response with ``Server: gunicorn`` (older releases added the
# version), and has no setting for it: each ``Response`` takes the module constant
# ``gunicorn.http.wsgi.SERVER``, read when the response is built, so replacing it here (in
# the master, before any worker forks) names no software to a client probing for exploits.
SERVER_BANNER = "mlapi"
gunicorn.http.wsgi.SERVER = SERVER_BANNER

# -- logs -----------------------------------------------------------------------------------
# Access log: the app writes exactly one JSON line per request on the ``mlapi.access`` logger
# (request id, user or key id, route template, status, duration). gunicorn's own access log
# stays off: it would be a second line per request, and it carries the raw path and query
# string, where a client may have put a token or a key. gunicorn's error log (start, worker
# boots, timeouts, exits) is JSON too, on stderr like the app's lines.
accesslog = None
errorlog = "-"
loglevel = "info"  # gunicorn's own lines; the app's level is MLAPI_LOG_LEVEL


class JsonLogFormatter(logging.Formatter):
    """gunicorn's own lines in the shape of the app's: ts, level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class JsonLogger(glogging.Logger):
    """gunicorn's logger with its error-log lines in JSON (no access log: see above)."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonLogFormatter())


logger_class = JsonLogger

# -- Prometheus multiprocess mode -----------------------------------------------------------
_PRIVATE_METRICS_DIR = "mlapi.private_metrics_dir"


def on_starting(server):
    """In the master, before any worker forks: a clean metrics directory for this run."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        # Files of an earlier run would be summed into this one's figures.
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.unlink(os.path.join(directory, name))
        server.log.info("prometheus multiprocess directory %s emptied", directory)
    else:
        directory = tempfile.mkdtemp(prefix="mlapi-prometheus-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # inherited by every worker
        setattr(server, _PRIVATE_METRICS_DIR, directory)
        # Also when gunicorn exits without on_exit (it cannot bind its address, say); only
        # in this process: forked workers inherit atexit handlers.
        atexit.register(_remove_private_dir, directory, os.getpid())
        server.log.info("prometheus multiprocess directory %s created", directory)


def _remove_private_dir(directory: str, owner: int) -> None:
    if os.getpid() == owner:
        shutil.rmtree(directory, ignore_errors=True)


def post_worker_init(worker):
    """The app is loaded (its first-start checks done): say so, once per worker."""
    worker.log.info("worker %s ready", worker.pid)


def worker_exit(server, worker):
    """In a worker, as it exits: its access listener thread (mlapi/access_listener.py)
    closes its PostgreSQL connection instead of dropping it."""
    from mlapi.access_listener import stop_listener

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        stop_listener(app, timeout=1.0)


def child_exit(server, worker):
    """In the master, after a worker exited: its live gauges stop counting."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """The directory made by ``on_starting`` goes with the server; one given is kept."""
    directory = getattr(server, _PRIVATE_METRICS_DIR, None)
    if directory:
        _remove_private_dir(directory, os.getpid())
