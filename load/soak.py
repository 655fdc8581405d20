"""Soak test: ``python load/soak.py [--minutes 3]``: a steady load for a bounded time, no leaks.

Run it with the app's Python (standard library + psycopg, like load/run.py). It

1. creates a PostgreSQL database, migrates it and starts mlapi under gunicorn (production
   profile, PostgreSQL + Redis + the db model store, rate limits RAISED, 2 sync workers);
2. drives it at a steady rate from a few threads (http.client, one connection each):
   predictions with fresh and with repeated inputs, history reads and feedback;
3. samples the RSS of every gunicorn worker (the master's children) every few seconds;
4. prints, per minute, requests, errors, p50/p95 latency and the RSS of each worker, and
   FAILS (exit code 1) when a worker's RSS grows by more than ``--rss-growth-mb`` or
   ``--rss-growth-pct`` between the end of minute 1 (after warm-up) and the end, when the
   last minute's p95 exceeds minute 1's by more than ``--p95-factor`` times and at least
   ``--p95-slack-ms``, or when more than ``--max-error-ratio`` of the requests failed;
5. stops gunicorn by its PID and drops the database, also on Ctrl-C, SIGTERM or a failure.

A benchmark, not a test: ``tox -e soak``; pytest never collects load/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mlapi_service as svc

N_FEATURES = 10


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: the master's children, read from /proc."""
    pids = []
    for task in Path(f"/proc/{master}/task").glob("*"):
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(set(pids))


def rss_mb(pid: int) -> float | None:
    """Resident set size of a process in MB (VmRSS of /proc/<pid>/status)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Client(threading.Thread):
    """One simulated client: a user of its own, a paced mix of requests, one connection."""

    def __init__(
        self, base: str, token: str, rate: float, stop: threading.Event, record, seed: int
    ):
        super().__init__(daemon=True)
        self.host, self.port = base.removeprefix("http://").split(":")
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.interval, self.stop, self.record = 1 / rate, stop, record
        self.random = random.Random(seed)  # noqa: S311 - load mix, not secrets
        self.known = [
            [self.random.uniform(-0.1, 0.1) for _ in range(N_FEATURES)] for _ in range(20)
        ]
        self.predictions: list[int] = []
        self.connection = http.client.HTTPConnection(self.host, int(self.port), timeout=30)

    def request(self, kind: str, method: str, path: str, body=None) -> dict | None:
        started = time.perf_counter()
        answer, ok = None, False
        try:
            self.connection.request(
                method, path, None if body is None else json.dumps(body), self.headers
            )
            response = self.connection.getresponse()
            raw = response.read()
            ok = response.status < 400
            answer = json.loads(raw) if ok else None
        except (OSError, http.client.HTTPException, ValueError):
            self.connection.close()
        self.record(kind, time.perf_counter() - started, ok)
        return answer

    def one(self) -> None:
        pick = self.random.random()
        if pick < 0.55 or not self.predictions:
            features = [self.random.uniform(-0.1, 0.1) for _ in range(N_FEATURES)]
            answer = self.request(
                "predict fresh", "POST", "/api/v1/predict", {"features": features}
            )
        elif pick < 0.75:
            answer = self.request(
                "predict repeated",
                "POST",
                "/api/v1/predict",
                {"features": self.random.choice(self.known)},
            )
        elif pick < 0.9:
            self.request("history", "GET", "/api/v1/predictions?per_page=20")
            return
        else:
            target = self.random.choice(self.predictions[-50:])
            self.request(
                "feedback",
                "POST",
                f"/api/v1/predictions/{target}/feedback",
                {"actual_value": self.random.uniform(50, 300), "score": self.random.randint(1, 5)},
            )
            return
        if answer and "prediction_id" in answer:
            self.predictions = [*self.predictions[-99:], answer["prediction_id"]]

    def run(self) -> None:
        next_at = time.monotonic()
        while not self.stop.is_set():
            self.one()
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay > 0:
                self.stop.wait(delay)
            else:
                next_at = time.monotonic()  # behind: do not burst to catch up
        self.connection.close()


class Recorder:
    """Every request's (minute, latency, ok), and RSS samples per worker, by minute."""

    def __init__(self):
        self.lock = threading.Lock()
        self.start: float | None = None  # set when the warm-up ends
        self.latencies = defaultdict(list)
        self.errors = defaultdict(int)
        self.rss: dict[int, dict[int, float]] = defaultdict(dict)  # minute -> pid -> MB

    def minute(self) -> int | None:
        return None if self.start is None else int((time.monotonic() - self.start) // 60) + 1

    def __call__(self, _kind: str, seconds: float, ok: bool) -> None:
        minute = self.minute()
        if minute is None:
            return
        with self.lock:
            self.latencies[minute].append(seconds * 1000)
            self.errors[minute] += 0 if ok else 1

    def sample(self, pids: list[int]) -> None:
        minute = self.minute()
        if minute is None:
            return
        for pid in pids:
            value = rss_mb(pid)
            if value is not None:
                self.rss[minute][pid] = value  # the last sample of a minute is its end


def report(rec: Recorder, minutes: int, args) -> bool:
    pids = sorted({pid for m in range(1, minutes + 1) for pid in rec.rss.get(m, {})})
    head = (
        "| minute | requests | errors | p50 ms | p95 ms | "
        + " | ".join(f"RSS MB worker {pid}" for pid in pids)
        + " |"
    )
    lines = [head, "|" + "---:|" * (5 + len(pids))]
    for m in range(1, minutes + 1):
        lat = rec.latencies.get(m, [])
        rss = " | ".join(f"{rec.rss.get(m, {}).get(pid, float('nan')):.1f}" for pid in pids)
        lines.append(
            f"| {m} | {len(lat)} | {rec.errors.get(m, 0)} | "
            f"{percentile(lat, 0.5):.1f} | {percentile(lat, 0.95):.1f} | {rss} |"
        )
    print("\n".join(lines))

    checks = []
    total = sum(len(rec.latencies.get(m, [])) for m in range(1, minutes + 1))
    errors = sum(rec.errors.get(m, 0) for m in range(1, minutes + 1))
    ratio = errors / total if total else 1.0
    checks.append(
        (
            f"errors {errors}/{total} = {ratio:.3%} <= {args.max_error_ratio:.1%}",
            total > 0 and ratio <= args.max_error_ratio,
        )
    )
    first, last = (percentile(rec.latencies.get(m, []), 0.95) for m in (1, minutes))
    degraded = last > first * args.p95_factor and last > first + args.p95_slack_ms
    checks.append(
        (
            f"p95 of minute {minutes} ({last:.1f} ms) within {args.p95_factor:g}x "
            f"or +{args.p95_slack_ms:g} ms of minute 1's ({first:.1f} ms)",
            last == last and not degraded,
        )
    )
    start, end = rec.rss.get(1, {}), rec.rss.get(minutes, {})
    for pid in pids:
        if pid not in start or pid not in end:
            checks.append(
                (
                    f"worker {pid} lived from minute 1 to the end "
                    "(a replaced worker hides its growth)",
                    False,
                )
            )
            continue
        grown = end[pid] - start[pid]
        pct = 100 * grown / start[pid]
        checks.append(
            (
                f"worker {pid} RSS {start[pid]:.1f} -> {end[pid]:.1f} MB "
                f"({grown:+.1f} MB, {pct:+.1f} %) within +{args.rss_growth_mb:g} MB "
                f"and +{args.rss_growth_pct:g} %",
                grown <= args.rss_growth_mb and pct <= args.rss_growth_pct,
            )
        )
    if not pids:
        checks.append(("RSS of the workers was sampled", False))
    print("\nSoak gate:")
    for text, ok in checks:
        print(f"- [{'PASS' if ok else 'FAIL'}] {text}")
    return all(ok for _, ok in checks)


def _interrupt(*_args):
    raise KeyboardInterrupt


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--minutes", type=int, default=3, help="measured minutes after the warm-up (3)")
    add("--warmup", type=int, default=15, help="seconds of load before measuring (15)")
    add("--clients", type=int, default=4, help="client threads, a user each (4)")
    add("--rate", type=float, default=40, help="requests per second, all clients (40)")
    add("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    add("--sample-every", type=float, default=5, help="seconds between RSS samples (5)")
    add("--rss-growth-mb", type=float, default=30, help="max RSS growth per worker (30 MB)")
    add("--rss-growth-pct", type=float, default=20, help="max RSS growth per worker (20 %%)")
    add("--p95-factor", type=float, default=2.0, help="max last/first p95 ratio (2)")
    add("--p95-slack-ms", type=float, default=5, help="p95 growth always allowed (5 ms)")
    add("--max-error-ratio", type=float, default=0.001, help="max failed share (0.001)")
    args = parser.parse_args(argv)
    if args.minutes < 2:
        parser.error("--minutes must be at least 2 (minute 1 is the baseline)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    # SIGTERM (a timeout, a parent's kill) and SIGINT, even when inherited as ignored
    # (a background job), clean up like Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    if not svc.redis_ok():
        print(f"!! Redis does not answer at {svc.REDIS_URL}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="mlapi-soak-"))
    server = database = None
    stop = threading.Event()
    code = 1
    try:
        database, database_url = svc.create_database("mlapi_soak")
        port = svc.free_port()
        seconds = args.warmup + args.minutes * 60
        env = svc.mlapi_env(
            workdir,
            port,
            database_url=database_url,
            redis_url=svc.REDIS_URL,
            db_store=True,
            limits=svc.RAISED_LIMITS,
            workers=args.workers,
            extra={"MLAPI_JWT_ACCESS_EXPIRES": str(seconds + 600)},
        )
        print(
            f"== soak: mlapi under gunicorn ({args.workers} sync workers), production "
            f"profile, PostgreSQL ({database}), Redis, model store db; rate limits RAISED; "
            f"{args.clients} clients at {args.rate:g} req/s for {args.warmup} s warm-up + "
            f"{args.minutes} min",
            flush=True,
        )
        svc.migrate(env, workdir / "server.log")
        server = svc.Server(
            "mlapi",
            svc.gunicorn_argv("wsgi:app", port, args.workers),
            env,
            workdir / "server.log",
            "/readyz",
            port,
        ).start()
        rec = Recorder()
        clients = [
            Client(
                server.base,
                svc.register_and_login(server.base, f"soak{i}_{port}", "soak-password-1"),
                args.rate / args.clients,
                stop,
                rec,
                seed=i,
            )
            for i in range(args.clients)
        ]
        for client in clients:
            client.start()
        time.sleep(args.warmup)
        rec.start = time.monotonic()
        end = rec.start + args.minutes * 60
        master = server.process.pid
        while (now := time.monotonic()) < end:
            rec.sample(worker_pids(master))
            minute = rec.minute()
            if minute and (now - rec.start) % 60 < args.sample_every:
                print(f"-- minute {minute} running", flush=True)
            time.sleep(min(args.sample_every, max(0.0, end - now - 0.5)) or 0.1)
        stop.set()
        for client in clients:
            client.join(35)
        print("\nResults per minute (latency in ms over all requests; RSS at the minute's end):\n")
        code = 0 if report(rec, args.minutes, args) else 1
    except KeyboardInterrupt:
        print("\n!! interrupted: stopping everything", file=sys.stderr)
        code = 130
    except Exception as exc:
        print(f"!! soak could not run: {exc}", file=sys.stderr)
        code = 2
    finally:
        stop.set()
        svc.tear_down(server, database, workdir, show_log=code == 2)
    verdict = {0: "PASSED", 130: "INTERRUPTED"}.get(code, "FAILED")
    print(f"soak {verdict} (exit code {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
