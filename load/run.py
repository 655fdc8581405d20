"""One command for the load test: ``python load/run.py [--duration 60] [--users 100]``.

Run it with the app's Python (mlapi installed: ``pip install -e .``). It

1. creates load/.venv with load/requirements.txt (locust) when missing: locust never goes
   into the app's environment, and no test ever imports it;
2. creates a PostgreSQL database, migrates it, and starts mlapi under gunicorn
   (``gunicorn.conf.py``: 2 sync workers here) in the production profile with a generated
   secret, PostgreSQL + Redis (+ ``MLAPI_MODEL_STORE=db`` when this checkout has it), and
   the rate limits RAISED for the load users (one client address signs 100 users in, and
   each user asks far more than a person's 600 predictions a minute would allow);
3. creates the accounts (five teams) through the API before the load starts, and the
   billing team's model ``churn`` with its alias ``production`` (load/team_model.py);
4. runs ``locust --headless -u 100 -r 20 -t <duration>`` with load/locustfile.py, whose
   ``events.quitting`` gate fails the run when p95 of POST /api/v1/predict >= 100 ms, the
   failure ratio >= 0.1 %, or no prediction succeeded;
5. stops gunicorn by its PID and drops the database, also on Ctrl-C or a failure, and
   prints the stats table. The exit code is locust's: 0 only when the gate passed.

Environment: MLAPI_PERF_PG (admin URL, default postgresql://postgres@127.0.0.1:5432/postgres),
MLAPI_PERF_REDIS (default redis://127.0.0.1:6379/0), LOAD_P95_MS, LOAD_MAX_FAIL_RATIO.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mlapi_service as svc
import team_model

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
REQUIREMENTS = HERE / "requirements.txt"
TEAMS = ("clinic", "research", "billing", "mobile", "datascience")


def ensure_locust() -> Path:
    """load/.venv with locust, (re)installed when requirements.txt changed."""
    locust = VENV / "bin" / "locust"
    stamp = VENV / ".requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if locust.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return locust
    print(
        f"== installing locust into {VENV.relative_to(svc.ROOT)} (not the app's venv)", flush=True
    )
    base = shutil.which("python3") or sys.executable
    subprocess.run([base, "-m", "venv", str(VENV)], check=True)  # noqa: S603
    pip_install = [
        str(VENV / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "-r",
        str(REQUIREMENTS),
    ]
    subprocess.run(pip_install, check=True)  # noqa: S603
    stamp.write_text(wanted + "\n")
    return locust


def write_upload_model(path: Path) -> None:
    """A small fitted model for the upload task (skops: what clients are told to send)."""
    code = (
        "import sys, numpy as np, skops.io as sio\n"
        "from sklearn.linear_model import LinearRegression\n"
        "rng = np.random.default_rng(7); X = rng.normal(size=(50, 3))\n"
        "m = LinearRegression().fit(X, X @ [1.5, -2.0, 0.5] + 3)\n"
        "open(sys.argv[1], 'wb').write(sio.dumps(m))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)  # noqa: S603


def create_accounts(base: str, users: int, path: Path) -> None:
    """One account per simulated user, spread over the five teams; written for locust."""
    per_team = max(1, -(-users // len(TEAMS)))
    run = secrets.token_hex(3)
    password = secrets.token_urlsafe(16)
    accounts = {
        team: [{"username": f"{team}-{run}-{i}", "password": password} for i in range(per_team)]
        for team in TEAMS
    }

    def register(account):
        status, answer = svc.call(
            base,
            "POST",
            "/api/v1/auth/register",
            {
                "username": account["username"],
                "email": f"{account['username']}@example.com",
                "password": account["password"],
            },
        )
        if status != 201:
            raise RuntimeError(f"register {account['username']}: {status} {answer}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(register, [a for team in accounts.values() for a in team]))
    path.write_text(json.dumps(accounts))
    print(
        f"== created {per_team * len(TEAMS)} accounts ({per_team} per team: "
        f"{', '.join(TEAMS)}) through POST /api/v1/auth/register",
        flush=True,
    )


def stats_table(results: Path) -> str:
    """The final locust figures (written by the gate in locustfile.py) as a markdown table."""
    if not results.exists():
        return "(locust wrote no figures)"
    figures = json.loads(results.read_text(encoding="utf-8"))

    def ms(value):
        return "-" if value is None else f"{value:.0f}"

    lines = [
        "| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in figures["entries"]:
        request = f"{e['method']} {e['name']}".strip()
        lines.append(
            f"| {request} | {e['requests']} | {e['failures']} | "
            f"{e['rps']:.1f} | {ms(e['p50'])} | {ms(e['p95'])} | {ms(e['p99'])} | "
            f"{ms(e['max'])} |"
        )
    lines.append("")
    lines.append("SLA gate " + ("PASSED" if figures["gate"]["passed"] else "FAILED") + ":")
    lines += [f"- [{'PASS' if ok else 'FAIL'}] {text}" for text, ok in figures["gate"]["checks"]]
    return "\n".join(lines)


def _interrupt(*_args):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration",
        type=int,
        default=int(os.environ.get("LOAD_DURATION", "60")),
        help="seconds of load (default 60; LOAD_DURATION)",
    )
    parser.add_argument("--users", type=int, default=100, help="simulated users (100)")
    parser.add_argument("--spawn-rate", type=float, default=20, help="users started per second")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    args = parser.parse_args(argv)

    # SIGTERM (CI's timeout, a parent's kill) cleans up like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)

    locust = ensure_locust()
    if not svc.redis_ok():
        print(f"!! Redis does not answer at {svc.REDIS_URL}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="mlapi-load-"))
    server = None
    database = None
    code = 1
    try:
        database, database_url = svc.create_database("mlapi_load")
        port = svc.free_port()
        env = svc.mlapi_env(
            workdir,
            port,
            database_url=database_url,
            redis_url=svc.REDIS_URL,
            db_store=True,
            limits=svc.RAISED_LIMITS,
            workers=args.workers,
            extra={"MLAPI_JWT_ACCESS_EXPIRES": str(max(900, args.duration + 600))},
        )
        print(
            "== mlapi under load: production profile, PostgreSQL "
            f"({database}), Redis ({svc.REDIS_URL}), model store: db, "
            f"gunicorn "
            f"{'-c gunicorn.conf.py' if svc.GUNICORN_CONF.exists() else 'flags'}, "
            f"{args.workers} sync workers, one thread each",
            flush=True,
        )
        print(
            "== RATE LIMITS RAISED for the load users: "
            + ", ".join(f"{k}={v}" for k, v in svc.RAISED_LIMITS.items()),
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
        accounts = workdir / "accounts.json"
        create_accounts(server.base, args.users, accounts)
        model = workdir / "upload.skops"
        write_upload_model(model)
        billing = json.loads(accounts.read_text())["billing"]
        alias_path = team_model.publish(server.base, billing, model)

        print(
            f"== locust --headless -u {args.users} -r {args.spawn_rate:g} "
            f"-t {args.duration}s against {server.base}",
            flush=True,
        )
        started = time.monotonic()
        results = workdir / "results.json"
        locust_env = {
            **os.environ,
            "LOAD_ACCOUNTS": str(accounts),
            "LOAD_MODEL_FILE": str(model),
            "LOAD_ALIAS_PREDICT": alias_path,
            "LOAD_RESULTS": str(results),
        }
        locust_run = [
            str(locust),
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "-u",
            str(args.users),
            "-r",
            str(args.spawn_rate),
            "-t",
            f"{args.duration}s",
            "--host",
            server.base,
            "--only-summary",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ]
        code = subprocess.run(  # noqa: S603
            locust_run, cwd=svc.ROOT, env=locust_env, check=False
        ).returncode
        print(f"== locust ran {time.monotonic() - started:.0f} s, exit code {code}")
        print("\nResults (locust's final figures; response times in ms):\n")
        print(stats_table(results))
        print(
            "\nRate limits were raised for this run ("
            + ", ".join(f"{k}={v}" for k, v in svc.RAISED_LIMITS.items())
            + ")."
        )
    except KeyboardInterrupt:
        print("\n!! interrupted: stopping everything", file=sys.stderr)
        code = 130
    except Exception as exc:
        print(f"!! load test could not run: {exc}", file=sys.stderr)
        code = 2
    finally:
        svc.tear_down(server, database, workdir, show_log=code != 0)
    print(f"load test {'PASSED' if code == 0 else 'FAILED'} (exit code {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
