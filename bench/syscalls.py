"""System calls per request, counted by strace: ``python bench/syscalls.py``.

bench/instructions.py counts what a request executes in process; it cannot see what the
request costs the kernel and the scheduler. A gunicorn worker of mlapi runs more than one
thread (the access log's writer, the identity listener, the webhook worker), and every
hand-over of the GIL between them is a ``futex`` call and often a context switch: work that
shows up in wall-clock throughput and in no instruction count. This script starts each
server under gunicorn as bench/run.py does (2 sync workers, rate limits off), sends
``--requests`` warm-up requests, attaches ``strace -c -f`` to every worker, sends
``--requests`` more one after the other on fresh connections (as wrk's do not), and prints
each system call's count per request, summed over the workers and their threads.

Rows: the floor's ``POST /predict`` and mlapi production's (PostgreSQL + Redis, bearer
token, a different input each time: cache miss, a history row). The background threads'
own periodic calls (the listener's probe every 50 ms, the webhook worker's poll) land in
the count too, spread over the requests: send the requests back to back (the default) so
that they weigh little. strace slows every call down, so the counts are what it is for,
not the time. Needs the Debian package ``strace``.
"""

from __future__ import annotations

import argparse
import http.client
import json
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

# The wrk script's body shape (bench/wrk.lua): ten features of the diabetes data's range.
TAIL = [0.021, -0.044, -0.034, -0.043, -0.002, 0.019, -0.017]


def body(i: int) -> bytes:
    return json.dumps({"features": [(i % 2000) / 10000 - 0.1, (i // 2000) / 10000 - 0.1,
                                    0.01, *TAIL]}).encode()


def send(base: str, path: str, count: int, headers: dict, offset: int) -> None:
    host, port = base.removeprefix("http://").split(":")
    for i in range(offset, offset + count):
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            connection.request("POST", path, body=body(i),
                               headers={"Content-Type": "application/json", **headers})
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")


def workers(master_pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True,  # noqa: S603,S607
                           text=True, check=False).stdout.split()
    return [int(pid) for pid in found]


def _summary(path: Path) -> dict[str, int]:
    calls = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            calls[fields[-1]] = calls.get(fields[-1], 0) + int(fields[3])
    return calls


def count(server: svc.Server, path: str, requests: int, headers: dict,
          workdir: Path) -> dict[str, float]:
    """System calls per request of ``server``'s workers (all their threads)."""
    send(server.base, path, requests, headers, 0)
    tracers = []
    for pid in workers(server.process.pid):
        out = workdir / f"strace.{pid}"
        tracers.append((out, subprocess.Popen(["strace", "-c", "-f", "-p", str(pid),  # noqa: S603,S607
                                               "-o", str(out)], stderr=subprocess.DEVNULL)))
    time.sleep(1)  # strace attaches to every thread
    try:
        send(server.base, path, requests, headers, requests)
    finally:
        for _, tracer in tracers:
            tracer.send_signal(signal.SIGINT)
        for _, tracer in tracers:
            tracer.wait(30)
    total: dict[str, int] = {}
    for out, _ in tracers:
        for name, calls in _summary(out).items():
            total[name] = total.get(name, 0) + calls
    return {name: calls / requests for name, calls in total.items()}


def floor(workdir: Path, requests: int) -> dict[str, float]:
    port = svc.free_port()
    env = svc.pinned_threads({k: v for k, v in os.environ.items()
                              if not k.startswith(("MLAPI_", "PROMETHEUS_", "GUNICORN_"))})
    env.update({"MLAPI_BIND": f"127.0.0.1:{port}", "MLAPI_WORKERS": "2"})
    argv = svc.gunicorn_argv("floor_app:app", port, 2)
    argv[-1:-1] = ["--pythonpath", str(HERE)]
    server = svc.Server("floor", argv, env, workdir / "floor.log", "/livez", port).start()
    try:
        return count(server, "/predict", requests, {}, workdir)
    finally:
        server.stop()


def production(workdir: Path, requests: int) -> dict[str, float]:
    database, url = svc.create_database("mlapi_syscalls")
    server = None
    try:
        port = svc.free_port()
        env = svc.mlapi_env(workdir / "production", port, database_url=url,
                            redis_url=svc.REDIS_URL, db_store=True,
                            limits={"MLAPI_RATELIMIT_ENABLED": "false"},
                            extra={"MLAPI_JWT_ACCESS_EXPIRES": "7200"})
        svc.migrate(env, workdir / "production.log")
        server = svc.Server("mlapi", svc.gunicorn_argv("wsgi:app", port, 2), env,
                            workdir / "production.log", "/readyz", port).start()
        token = svc.register_and_login(server.base, "syscalls", secrets.token_urlsafe(16))
        return count(server, "/api/v1/predict", requests,
                     {"Authorization": f"Bearer {token}"}, workdir)
    finally:
        if server is not None:
            server.stop()
        svc.drop_database(database)


def table(rows: dict[str, dict[str, float]]) -> str:
    names = sorted({name for calls in rows.values() for name in calls},
                   key=lambda name: -max(calls.get(name, 0) for calls in rows.values()))
    lines = ["| system call | " + " | ".join(rows) + " |",
             "|---|" + "---:|" * len(rows)]
    lines += [f"| {name} | " + " | ".join(f"{calls.get(name, 0):.2f}" for calls in rows.values())
              + " |" for name in names]
    lines.append("| **all** | " + " | ".join(f"**{sum(calls.values()):.2f}**"
                                            for calls in rows.values()) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests counted (400)")
    args = parser.parse_args(argv)
    if shutil.which("strace") is None:
        print("!! strace is missing: apt-get install -y strace", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="mlapi-syscalls-"))
    try:
        rows = {"floor POST /predict": floor(workdir, args.requests),
                "mlapi production predict (token, miss)": production(workdir, args.requests)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"system calls per request, {args.requests} requests, all threads of both workers\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
