"""Where a request's CPU goes, process by process: ``python bench/cpu_split.py``.

bench/run.py gives requests/s; bench/instructions.py what mlapi's Python executes in
process. Neither says what the rest of the machine spends on a request: the PostgreSQL
server (its backend for the history INSERT, and its WAL writer), Redis, wrk, the kernel's
share in each. This script starts the floor and mlapi production as bench/syscalls.py
does (gunicorn, 2 sync workers, rate limits off), loads each with wrk (``--connections``,
``--duration``, a different input per request), and reads the CPU time (user + system,
``/proc/<pid>/stat``) each group of processes used meanwhile, per request served:

- the gunicorn workers (all their threads), in user space and in the kernel;
- every process of the ``postgres`` user (the backends and the server's own helpers);
- redis-server;
- wrk (the client, from this process's children's resource usage).

On a 2-core machine the sum is what bounds throughput: 2,000 ms of CPU a second divided by
the sum is the most requests/s the machine can serve.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import syscalls  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = (
    "gunicorn workers: user",
    "gunicorn workers: system",
    "PostgreSQL server",
    "Redis server",
    "wrk (client)",
)


def _pids_of_user(user: str) -> list[int]:
    found = subprocess.run(  # noqa: S603
        ["pgrep", "-u", user],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return [int(pid) for pid in found]


def _pids_named(name: str) -> list[int]:
    found = subprocess.run(  # noqa: S603
        ["pgrep", "-x", name],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return [int(pid) for pid in found]


def _cpu_seconds(pids: list[int], *, user: bool = True, system: bool = True) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        total += int(fields[11]) * user + int(fields[12]) * system  # utime, stime (14, 15)
    return total / TICKS


def _snapshot(server) -> dict[str, float]:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = syscalls.workers(server.process.pid)
    return {
        "gunicorn workers: user": _cpu_seconds(workers, system=False),
        "gunicorn workers: system": _cpu_seconds(workers, user=False),
        "PostgreSQL server": _cpu_seconds(_pids_of_user("postgres")),
        "Redis server": _cpu_seconds(_pids_named("redis-server")),
        "wrk (client)": children.ru_utime + children.ru_stime,
    }


def split(server, path: str, args, auth, _workdir: Path) -> dict[str, float]:
    """CPU milliseconds per request of each group while wrk loads ``server``."""
    syscalls.load(server.base, path, auth, 4, 2)  # warm up: imports, model, connections
    before = _snapshot(server)
    served = syscalls.load(server.base, path, auth, args.connections, args.duration)
    after = _snapshot(server)
    split = {group: (after[group] - before[group]) * 1000 / served for group in GROUPS}
    split["(requests/s served)"] = served / args.duration
    return split


def table(rows: dict[str, dict[str, float]]) -> str:
    lines = ["| CPU ms per request | " + " | ".join(rows) + " |", "|---|" + "---:|" * len(rows)]
    lines += [
        f"| {group} | " + " | ".join(f"{row[group]:.3f}" for row in rows.values()) + " |"
        for group in GROUPS
    ]
    lines.append(
        "| **all** | "
        + " | ".join(f"**{sum(row[g] for g in GROUPS):.3f}**" for row in rows.values())
        + " |"
    )
    lines.append(
        "| (requests/s served) | "
        + " | ".join(f"{row['(requests/s served)']:.0f}" for row in rows.values())
        + " |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args, rows = syscalls.measure_both(argv, __doc__.split("\n\n")[0], 10, ("wrk",), split, "cpu")
    if rows is None:
        return 2
    print(f"CPU per request: wrk at {args.connections} connections for {args.duration} s\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
