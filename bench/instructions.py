"""Instructions per request, counted by valgrind's callgrind: ``python bench/instructions.py``.

A noise-free companion of bench/run.py: wall-clock numbers on a shared 2-core VM move by tens
of percent between runs, the number of instructions a request executes does not. Each server
runs in its own child process under ``valgrind --tool=callgrind`` and is driven in process
through its WSGI interface (no sockets, no gunicorn, no client in the count):

- floor: bench/floor_app.py (``POST /predict``, ``GET /livez``);
- mlapi on SQLite (the embedded default, production profile): ``POST /api/v1/predict`` with
  a bearer token, every input different (cache miss: model called, history row committed)
  and one repeated input (cache hit, history row committed too), with an API key (cache
  miss), ``GET /livez``, ``GET /health``;
- mlapi on PostgreSQL + Redis + ``MLAPI_MODEL_STORE=db`` (bench/run.py's production row),
  the same five requests; only the client side counts (the PostgreSQL and Redis servers
  are other processes).

Method: callgrind starts with instrumentation off (``--instr-atstart=no``: start-up and
imports run at plain valgrind speed). For each case the child serves ``--warmup`` requests,
opens a window (callgrind client requests ``START_INSTRUMENTATION`` + ``ZERO_STATS``), serves
``--requests`` requests and closes it (``DUMP_STATS`` + ``STOP_INSTRUMENTATION``), so each
window lands in its own dump file. The client requests live in a 2-line C helper compiled
with ``cc`` against valgrind's ``callgrind.h`` and called through ctypes; an empty window
measured first is the cost of opening and closing one (a few thousand instructions) and is
subtracted. Instructions/request = (window - empty window) / ``--requests``. The requests'
bodies and environs are built before the window; every answer must be a 200.
``PYTHONHASHSEED=0`` and one numpy/BLAS/OpenMP thread make runs repeat; ``--repeat 2`` runs
every child twice and prints both counts. Rate limits are off, as in bench/run.py; the webhook
worker thread is off, as in bench/profile_predict.py; on PostgreSQL the access listener is
connected but runs no thread (``_listen``). Each window opens right after ``gc.collect()``.
mlapi's log lines are formatted and
written by a thread of their own, which callgrind counts as well: each window waits until
the lines of its requests are written (and opens with none queued).

``--multiproc`` sets ``PROMETHEUS_MULTIPROC_DIR`` for the child, as gunicorn.conf.py does in
production; ``--steps`` also counts each step of mlapi's request pipeline on its own
(bench/pipeline_steps.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "load")]

import mlapi_service as svc  # noqa: E402
from instructions_child import child  # noqa: E402

HELPER_C = """#include <valgrind/callgrind.h>
void window_open(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void window_close(void) { CALLGRIND_DUMP_STATS; CALLGRIND_STOP_INSTRUMENTATION; }
"""
BACKENDS = ("floor", "sqlite", "postgres")
LABELS = {"floor": "floor", "sqlite": "mlapi SQLite", "postgres": "mlapi PostgreSQL + Redis"}
DETERMINISTIC = {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}


# -- the parent: runs the children under callgrind and reads the dumps --------------------------
def _totals(out_dir: Path) -> dict[int, int]:
    """Dump number -> instructions (callgrind writes ``cg.1``, ``cg.2``, ... and ``cg``)."""
    totals = {}
    for path in out_dir.glob("cg.*"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("summary:"):
                totals[int(path.suffix[1:])] = int(line.split()[1])
                break
    return totals


def build_helper(workdir: Path) -> Path:
    """The client-request helper, compiled for this run (``cc``, valgrind's headers)."""
    source, library = workdir / "window.c", workdir / "libwindow.so"
    source.write_text(HELPER_C, encoding="utf-8")
    done = subprocess.run(  # noqa: S603
        ["cc", "-O2", "-shared", "-fPIC", "-o", str(library), str(source)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"cannot compile the callgrind helper (needs cc and "
            f"valgrind/callgrind.h): {done.stderr.strip()[:500]}"
        )
    return library


def no_aslr() -> list[str]:
    """``setarch <arch> -R`` when it works here: the same addresses in every run (containers
    ordered by id(), allocator paths), so the counts repeat more closely."""
    argv = ["setarch", platform.machine(), "-R"]
    if not shutil.which("setarch"):
        return []
    probe = subprocess.run([*argv, "true"], capture_output=True, check=False)  # noqa: S603
    return argv if probe.returncode == 0 else []


def measure(backend: str, args, workdir: Path, database_url: str | None) -> dict[str, int]:
    """Instructions per request of each case of one child run under callgrind."""
    out_dir = Path(tempfile.mkdtemp(prefix=f"cg-{backend}-", dir=workdir))
    result = out_dir / "result.json"
    env = svc.pinned_threads(
        {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MLAPI_", "PROMETHEUS_", "GUNICORN_"))
        }
    )
    env.update(DETERMINISTIC)
    if database_url:
        env["INSTR_DATABASE_URL"] = database_url
    if args.multiproc:  # as gunicorn.conf.py always runs the workers in production
        env["PROMETHEUS_MULTIPROC_DIR"] = str(out_dir / "prometheus")
        (out_dir / "prometheus").mkdir()
    argv = [
        *args.prefix,
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out_dir / 'cg'}",
        f"--log-file={out_dir / 'valgrind.log'}",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        backend,
        "--requests",
        str(args.requests),
        "--warmup",
        str(args.warmup),
        *(["--steps"] if args.steps else []),
        "--helper",
        str(args.helper),
        "--workdir",
        str(out_dir),
        "--result",
        str(result),
    ]
    with open(out_dir / "child.log", "wb") as log:
        done = subprocess.run(  # noqa: S603
            argv,
            cwd=HERE.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=args.timeout,
            check=False,
        )
    if done.returncode or not result.exists():
        tail = (out_dir / "child.log").read_text(errors="replace").splitlines()[-20:]
        raise RuntimeError(f"{backend} child exited with {done.returncode}:\n" + "\n".join(tail))
    labels = json.loads(result.read_text())
    totals = _totals(out_dir)
    if sorted(totals) != list(range(1, len(labels) + 2)):
        raise RuntimeError(
            f"{backend}: callgrind dumps {sorted(totals)}, expected 1 to {len(labels) + 1}"
        )
    empty = totals[1]
    if args.steps:
        import pipeline_steps

        return pipeline_steps.per_step(
            labels, [totals[i + 2] - empty for i in range(len(labels))], args.requests
        )
    return {label: round((totals[i + 2] - empty) / args.requests) for i, label in enumerate(labels)}


def table(runs: list[dict[tuple[str, str], int]]) -> str:
    first = runs[0]
    floor = first.get(("floor", "POST /predict"))
    lines = [
        "| server | request | instructions/request | x floor | runs |",
        "|---|---|---:|---:|---|",
    ]
    for key, count in first.items():
        ratio = f"{count / floor:.2f}" if floor else "-"
        repeats = ", ".join(f"{run[key]:,}" for run in runs if key in run)
        lines.append(f"| {LABELS[key[0]]} | {key[1]} | {count:,} | {ratio} | {repeats} |")
    return "\n".join(lines)


def parent(args) -> int:
    if not shutil.which("valgrind"):
        print("!! valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        print(f"!! unknown backends: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if "postgres" in backends and not svc.redis_ok():
        print(f"!! Redis does not answer at {svc.REDIS_URL}", file=sys.stderr)
        return 2
    version = subprocess.run(
        ["valgrind", "--version"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    started = datetime.now(UTC)
    print(
        f"== instructions per request {started:%Y-%m-%d %H:%M} UTC: {version}, Python "
        f"{platform.python_version()}; "
        f"{'PROMETHEUS_MULTIPROC_DIR set; ' if args.multiproc else ''}"
        f"{args.warmup} warm-up + {args.requests} measured "
        f"requests per case, {args.repeat} run(s)",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="mlapi-instr-"))
    runs: list[dict[tuple[str, str], int]] = []
    try:
        args.helper, args.prefix = build_helper(workdir), no_aslr()
        for _ in range(args.repeat):
            run: dict[tuple[str, str], int] = {}
            for backend in backends:
                database = url = None
                try:
                    if backend == "postgres":
                        database, url = svc.create_database("mlapi_instr")
                    for label, count in measure(backend, args, workdir, url).items():
                        run[(backend, label)] = count
                        print(f"   {LABELS[backend]:<26} {label:<28} {count:>12,}", flush=True)
                finally:
                    if database is not None:
                        svc.drop_database(database)
            runs.append(run)
    except KeyboardInterrupt:
        print("\n!! interrupted", file=sys.stderr)
        return 130
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        print(f"!! measurement failed: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n" + table(runs))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="measured requests per case (50)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up requests per case (20)")
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help=f"comma-separated ({','.join(BACKENDS)})"
    )
    parser.add_argument("--repeat", type=int, default=1, help="run every child this often (1)")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per child (1200)")
    parser.add_argument(
        "--steps",
        action="store_true",
        help="also each step of mlapi's request pipeline (pipeline_steps.py)",
    )
    parser.add_argument(
        "--multiproc",
        action="store_true",
        help="set PROMETHEUS_MULTIPROC_DIR, as gunicorn.conf.py does",
    )
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--helper", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
