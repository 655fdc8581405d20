"""The benchmark: mlapi against a bare Flask floor, side by side, in one run.

``python bench/run.py [--duration 10] [--connections 1,16]`` with the app's Python (mlapi
installed). Prints a markdown table and writes it to bench/results/latest.md.

Each server runs in turn under gunicorn with the same settings (gunicorn.conf.py when the
checkout has it, else equivalent flags: 2 sync workers), one thread per worker for
numpy/BLAS/OpenMP, rate limits off (``MLAPI_RATELIMIT_ENABLED=false``), and wrk as the
client on this machine (``wrk -t1 -c<N> -d<duration>s --latency -s bench/wrk.lua``):

- floor: bench/floor_app.py, POST /predict with the same default model, no auth, no database;
- mlapi, embedded default: production profile, SQLite in the instance folder, model files,
  per-process caches;
- mlapi, production configuration: PostgreSQL + Redis (+ ``MLAPI_MODEL_STORE=db`` when the
  checkout has it).

mlapi rows: POST /api/v1/predict with a bearer token and with an API key, each with every
request a different input (cache miss; a history row is written) and with one repeated
input (cache hit; a history row is written too), and GET /health. Errors are wrk's socket
errors (connect, read, write, timeout) plus responses with status >= 400.
Every server is stopped by its PID, whatever happens; the PostgreSQL database is dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "load"))
import mlapi_service as svc  # noqa: E402
from targets import targets  # noqa: E402

WRK_SCRIPT = HERE / "wrk.lua"
RESULTS = HERE / "results" / "latest.md"
NO_LIMITS = {"MLAPI_RATELIMIT_ENABLED": "false"}


@dataclass
class Row:
    server: str
    label: str
    connections: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    requests: int


def run_wrk(
    base: str,
    *,
    mode: str,
    path: str,
    connections: int,
    duration: int,
    auth: tuple[str, str] | None = None,
) -> dict:
    env = {
        **os.environ,
        "BENCH_MODE": mode,
        "BENCH_PATH": path,
        "BENCH_SEED": str(secrets.randbelow(1_000_000)),
        "BENCH_AUTH_NAME": auth[0] if auth else "",
        "BENCH_AUTH_VALUE": auth[1] if auth else "",
    }
    wrk = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(WRK_SCRIPT),
        base,
    ]
    done = subprocess.run(wrk, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(
        f"wrk gave no result ({done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}"
    )


def measure(server: str, label: str, base: str, connections: int, duration: int, **wrk) -> Row:
    result = run_wrk(base, connections=connections, duration=duration, **wrk)
    errors = sum(result[k] for k in ("connect", "read", "write", "timeout", "status"))
    row = Row(
        server,
        label,
        connections,
        result["requests"] / (result["duration_us"] / 1e6),
        result["p50_us"] / 1000,
        result["p95_us"] / 1000,
        result["p99_us"] / 1000,
        errors,
        result["requests"],
    )
    print(
        f"   {server:<22} {label:<26} c={connections:<3} {row.rps:8.0f} req/s  "
        f"p50 {row.p50_ms:6.2f}  p95 {row.p95_ms:6.2f}  p99 {row.p99_ms:6.2f} ms  "
        f"errors {errors}",
        flush=True,
    )
    return row


def warm_up(base: str, duration: int = 2, **wrk) -> None:
    """Both workers import, load the model and open connections before anything counts."""
    run_wrk(base, connections=4, duration=duration, **wrk)


def bench_floor(workdir: Path, args) -> list[Row]:
    port = svc.free_port()
    env = svc.pinned_threads(
        {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MLAPI_", "PROMETHEUS_", "GUNICORN_"))
        }
    )
    env.update({"MLAPI_BIND": f"127.0.0.1:{port}", "MLAPI_WORKERS": str(args.workers)})
    argv = svc.gunicorn_argv("floor_app:app", port, args.workers)
    argv[-1:-1] = ["--pythonpath", str(HERE)]
    server = svc.Server("floor", argv, env, workdir / "floor.log", "/livez", port)
    rows = []
    try:
        server.start()
        wrk = {"mode": "vary", "path": "/predict"}
        warm_up(server.base, **wrk)
        for label, case in (("predict", wrk), ("GET /livez", {"mode": "get", "path": "/livez"})):
            for connections in args.connections:
                rows.append(
                    measure(
                        "floor (bare Flask)", label, server.base, connections, args.duration, **case
                    )
                )
    finally:
        server.stop()
    return rows


def bench_mlapi(
    name: str, workdir: Path, args, *, production: bool, worker_class: str = "sync"
) -> list[Row]:
    """``worker_class``: gunicorn's (``sync``, or ``gthread`` with ``args.threads`` threads
    per worker, which keeps client connections alive), given as ``GUNICORN_CMD_ARGS``."""
    port = svc.free_port()
    database = None
    server = None
    rows = []
    try:
        database_url = None
        if production:
            database, database_url = svc.create_database("mlapi_bench")
        slug = "production" if production else "sqlite"
        env = svc.mlapi_env(
            workdir / f"{slug}-{worker_class}",
            port,
            database_url=database_url,
            redis_url=svc.REDIS_URL if production else None,
            db_store=production,
            limits=NO_LIMITS,
            workers=args.workers,
            extra={"MLAPI_JWT_ACCESS_EXPIRES": "7200"},
        )
        if worker_class != "sync":
            env["GUNICORN_CMD_ARGS"] = f"--worker-class {worker_class} --threads {args.threads}"
        log = workdir / f"{slug}-{worker_class}.log"
        svc.migrate(env, log)
        server = svc.Server(
            name, svc.gunicorn_argv("wsgi:app", port, args.workers), env, log, "/readyz", port
        ).start()
        token = svc.register_and_login(server.base, "bench", secrets.token_urlsafe(16))
        key = svc.create_api_key(server.base, token)
        bearer = ("Authorization", f"Bearer {token}")
        api_key = ("X-API-Key", key)
        warm_up(server.base, mode="vary", path="/api/v1/predict", auth=bearer)
        cases = [
            ("token, cache miss", {"mode": "vary", "path": "/api/v1/predict", "auth": bearer}),
            ("token, cache hit", {"mode": "fixed", "path": "/api/v1/predict", "auth": bearer}),
            ("API key, cache miss", {"mode": "vary", "path": "/api/v1/predict", "auth": api_key}),
            ("API key, cache hit", {"mode": "fixed", "path": "/api/v1/predict", "auth": api_key}),
            ("GET /livez", {"mode": "get", "path": "/livez"}),
            ("GET /health", {"mode": "get", "path": "/health"}),
        ]
        for label, wrk in cases:
            for connections in args.connections:
                rows.append(measure(name, label, server.base, connections, args.duration, **wrk))
    finally:
        if server is not None:
            server.stop()
        if database is not None:
            svc.drop_database(database)
    return rows


def machine() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    wrk_version = subprocess.run(
        ["wrk", "-v"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()[:1]
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version[0] if wrk_version else "wrk",
    }


def table(rows: list[Row]) -> str:
    floor = {
        r.connections: r.rps for r in rows if r.server.startswith("floor") and r.label == "predict"
    }
    lines = [
        "| server | request | conns | req/s | p50 ms | p95 ms | p99 ms | errors | x floor |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r.rps / floor[r.connections]:.2f}" if floor.get(r.connections) else "-"
        lines.append(
            f"| {r.server} | {r.label} | {r.connections} | {r.rps:.0f} | "
            f"{r.p50_ms:.2f} | {r.p95_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | "
            f"{ratio} |"
        )
    return "\n".join(lines)


def _interrupt(*_args):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per row (10)")
    parser.add_argument(
        "--connections", default="1,16", help="comma-separated connection counts (1,16)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument(
        "--worker-classes",
        default="sync",
        help="gunicorn worker classes for the mlapi servers, comma-separated: "
        "sync, gthread (sync); each is its own set of rows",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker (1)")
    parser.add_argument(
        "--servers",
        default="floor,sqlite,production",
        help="which servers, comma-separated (floor,sqlite,production)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown file to write")
    args = parser.parse_args(argv)
    args.connections = [int(c) for c in args.connections.split(",") if c.strip()]
    signal.signal(signal.SIGTERM, _interrupt)
    if not shutil.which("wrk"):
        print("!! wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    redis_up = svc.redis_ok()
    if not redis_up:
        print(f"!! Redis does not answer at {svc.REDIS_URL}", file=sys.stderr)
        return 2

    info = machine()
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    print(
        f"== benchmark {started:%Y-%m-%d %H:%M} UTC: {info['cpus']} CPUs ({info['cpu']}), "
        f"{info['memory']}; {args.duration} s per row; load average {load_before[0]:.2f}",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="mlapi-bench-"))
    rows: list[Row] = []
    store = "db"
    try:
        servers = {name.strip() for name in args.servers.split(",")}
        if "floor" in servers:
            rows += bench_floor(workdir, args)
        for worker_class in [c.strip() for c in args.worker_classes.split(",") if c.strip()]:
            suffix = "" if worker_class == "sync" else f", {worker_class} x{args.threads}"
            if "sqlite" in servers:
                rows += bench_mlapi(
                    f"mlapi SQLite{suffix}",
                    workdir,
                    args,
                    production=False,
                    worker_class=worker_class,
                )
            if "production" in servers:
                rows += bench_mlapi(
                    f"mlapi production ({store}{suffix})",
                    workdir,
                    args,
                    production=True,
                    worker_class=worker_class,
                )
    except KeyboardInterrupt:
        print("\n!! interrupted: servers stopped", file=sys.stderr)
        return 130
    except Exception as exc:
        print(f"!! benchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()

    report = "\n".join(
        [
            f"# Benchmark {started:%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM, Linux "
            f"{info['kernel']}, Python {info['python']}, {info['wrk']}. Load average (1 min) "
            f"{load_before[0]:.2f} before, {load_after[0]:.2f} after.",
            f"gunicorn: {'gunicorn.conf.py' if svc.GUNICORN_CONF.exists() else 'flags'}, "
            f"{args.workers} workers ({args.worker_classes}), one numpy/BLAS/OpenMP thread each; "
            f"wrk -t1, "
            f"{args.duration} s per row; rate limits off. Production: PostgreSQL + Redis, "
            f"model store: {store}.",
            "",
            table(rows),
            "",
            "Targets (production configuration):",
            "",
            *targets(rows, args.connections),
            "",
        ]
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    print("\n" + report)
    print(f"(written to {args.output})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
