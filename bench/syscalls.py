"""System calls per request, counted by strace: ``python bench/syscalls.py``.

bench/instructions.py counts what a request executes in process; it cannot see what the
request costs the kernel and the scheduler. A gunicorn worker of mlapi runs more than one
thread (the access log's writer, the identity listener, the webhook worker), and every
hand-over of the GIL between them is a ``futex`` call and often a context switch: work that
shows up in wall-clock throughput and in no instruction count. This script starts each
server under gunicorn as bench/run.py does (2 sync workers, rate limits off), sends
a short warm-up, attaches ``strace -c -f`` to every worker, loads them with wrk
(``--connections``, ``--duration``, bench/wrk.lua: a different input each request) and
prints each system call's count per request served, summed over the workers and their
threads.

Rows: the floor's ``POST /predict`` and mlapi production's (PostgreSQL + Redis, bearer
token, a different input each time: cache miss, a history row). The background threads'
own periodic calls (the listener's probe every 50 ms, the webhook worker's poll) are
counted apart, with the workers idle for as long as the requests took, and subtracted; but
strace slows every call down, so the requests/s served under it (printed) is a fraction of
the real one, and a thread's periodic work that competes for the GIL with the requests (the
listener's probe) weighs more per request than without strace: compare rows of one run,
and settings with ``--set`` (e.g. ``--set MLAPI_ACCESS_LISTENER=false``). Needs the Debian
packages ``strace`` and ``wrk``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "load"))
import mlapi_service as svc  # noqa: E402

sys.path.insert(0, str(HERE))
import run as bench_run  # noqa: E402


def load(base: str, path: str, auth: tuple[str, str] | None, connections: int, seconds: int) -> int:
    """wrk's requests at ``connections`` connections for ``seconds``, each with a different
    input (bench/wrk.lua's ``vary`` mode); every one must have been answered 200."""
    result = bench_run.run_wrk(
        base, mode="vary", path=path, connections=connections, duration=seconds, auth=auth
    )
    errors = sum(result[k] for k in ("connect", "read", "write", "timeout", "status"))
    if errors:
        raise RuntimeError(f"{errors} errors of {result['requests']} requests")
    return result["requests"]


def workers(master_pid: int) -> list[int]:
    found = subprocess.run(  # noqa: S603
        ["pgrep", "-P", str(master_pid)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return [int(pid) for pid in found]


def _summary(path: Path) -> dict[str, int]:
    calls = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            calls[fields[-1]] = calls.get(fields[-1], 0) + int(fields[3])
    return calls


def _traced(server: svc.Server, workdir: Path, tag: str, work) -> tuple[dict[str, int], float]:
    """System calls of ``server``'s workers (all their threads) while ``work()`` runs, and
    how long it ran."""
    tracers = []
    for pid in workers(server.process.pid):
        out = workdir / f"strace.{tag}.{pid}"
        strace = ["strace", "-c", "-f", "-p", str(pid), "-o", str(out)]
        tracers.append((out, subprocess.Popen(strace, stderr=subprocess.DEVNULL)))  # noqa: S603
    time.sleep(1)  # strace attaches to every thread
    started = time.monotonic()
    try:
        work()
    finally:
        elapsed = time.monotonic() - started
        for _, tracer in tracers:
            tracer.send_signal(signal.SIGINT)
        for _, tracer in tracers:
            tracer.wait(30)
    total: dict[str, int] = {}
    for out, _ in tracers:
        for name, calls in _summary(out).items():
            total[name] = total.get(name, 0) + calls
    return total, elapsed + 1


def count(
    server: svc.Server, path: str, args, auth: tuple[str, str] | None, workdir: Path
) -> dict[str, float]:
    """System calls per request of ``server``'s workers: the calls while wrk loads them,
    less what the idle workers call in as long (their threads' periodic work), divided by
    the requests served."""
    load(server.base, path, auth, 4, 2)  # warm up: imports, model, connections
    served = []
    busy, seconds = _traced(
        server,
        workdir,
        "busy",
        lambda: served.append(load(server.base, path, auth, args.connections, args.duration)),
    )
    idle, idle_seconds = _traced(server, workdir, "idle", lambda: time.sleep(seconds - 1))
    per_request = {
        name: max(0.0, calls - idle.get(name, 0) * seconds / idle_seconds) / served[0]
        for name, calls in busy.items()
    }
    per_request["(requests/s served under strace)"] = served[0] / args.duration
    return per_request


def floor(workdir: Path, args, measure=count) -> dict[str, float]:
    """``measure(server, path, args, auth, workdir)`` of the floor's predict."""
    port = svc.free_port()
    env = svc.pinned_threads(
        {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MLAPI_", "PROMETHEUS_", "GUNICORN_"))
        }
    )
    env.update({"MLAPI_BIND": f"127.0.0.1:{port}", "MLAPI_WORKERS": "2"})
    argv = svc.gunicorn_argv("floor_app:app", port, 2)
    argv[-1:-1] = ["--pythonpath", str(HERE)]
    server = svc.Server("floor", argv, env, workdir / "floor.log", "/livez", port).start()
    try:
        return measure(server, "/predict", args, None, workdir)
    finally:
        server.stop()


def production(workdir: Path, args, measure=count) -> dict[str, float]:
    """``measure`` of mlapi production's predict (token, a different input each time)."""
    database, url = svc.create_database("mlapi_syscalls")
    server = None
    try:
        port = svc.free_port()
        env = svc.mlapi_env(
            workdir / "production",
            port,
            database_url=url,
            redis_url=svc.REDIS_URL,
            db_store=True,
            limits={"MLAPI_RATELIMIT_ENABLED": "false"},
            extra={
                "MLAPI_JWT_ACCESS_EXPIRES": "7200",
                **dict(item.split("=", 1) for item in args.set),
            },
        )
        svc.migrate(env, workdir / "production.log")
        server = svc.Server(
            "mlapi",
            svc.gunicorn_argv("wsgi:app", port, 2),
            env,
            workdir / "production.log",
            "/readyz",
            port,
        ).start()
        token = svc.register_and_login(server.base, "syscalls", secrets.token_urlsafe(16))
        return measure(
            server, "/api/v1/predict", args, ("Authorization", f"Bearer {token}"), workdir
        )
    finally:
        if server is not None:
            server.stop()
        svc.drop_database(database)


def table(rows: dict[str, dict[str, float]]) -> str:
    names = sorted(
        {name for calls in rows.values() for name in calls if name[0] != "("},
        key=lambda name: -max(calls.get(name, 0) for calls in rows.values()),
    )
    lines = ["| system call | " + " | ".join(rows) + " |", "|---|" + "---:|" * len(rows)]
    lines += [
        f"| {name} | " + " | ".join(f"{calls.get(name, 0):.2f}" for calls in rows.values()) + " |"
        for name in names
    ]
    lines.append(
        "| **all** | "
        + " | ".join(
            f"**{sum(v for k, v in calls.items() if k[0] != '('):.2f}**" for calls in rows.values()
        )
        + " |"
    )
    lines.append(
        "| (requests/s served under strace) | "
        + " | ".join(f"{calls['(requests/s served under strace)']:.0f}" for calls in rows.values())
        + " |"
    )
    return "\n".join(lines)


def measure_both(argv, description: str, duration: int, tools: tuple[str, ...], measure, slug: str):
    """Parsed arguments and ``measure``'s rows of the floor and mlapi production (None when
    a Debian package is missing): the command line and servers shared with
    bench/cpu_split.py."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--connections", type=int, default=16, help="wrk's connections (16)")
    parser.add_argument(
        "--duration", type=int, default=duration, help=f"seconds of load ({duration})"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="MLAPI_X=value",
        help="a setting of mlapi's workers, e.g. MLAPI_ACCESS_LISTENER=false",
    )
    args = parser.parse_args(argv)
    for tool in tools:
        if shutil.which(tool) is None:
            print(f"!! {tool} is missing: apt-get install -y {tool}", file=sys.stderr)
            return args, None
    workdir = Path(tempfile.mkdtemp(prefix=f"mlapi-{slug}-"))
    try:
        return args, {
            "floor POST /predict": floor(workdir, args, measure),
            "mlapi production predict (token, miss)": production(workdir, args, measure),
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args, rows = measure_both(
        argv, __doc__.split("\n\n")[0], 5, ("strace", "wrk"), count, "syscalls"
    )
    if rows is None:
        return 2
    print(
        f"system calls per request: wrk at {args.connections} connections for "
        f"{args.duration} s, all threads of both workers, idle calls subtracted\n"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
