"""The targets of issue 17 (docs/performance.md), checked by bench/run.py on its rows."""

from __future__ import annotations


def targets(rows: list, connections: list[int]) -> list[str]:
    """The targets of docs/performance.md, against the floor's predict at the same
    connection count; every mlapi server (and worker class) is checked on its own.
    ``rows``: bench/run.py's ``Row`` objects."""
    floor = {
        r.connections: r for r in rows if r.server.startswith("floor") and r.label == "predict"
    }
    many, one = max(connections), min(connections)
    out = []

    def check(text, ok):
        out.append(f"- [{'met' if ok else 'NOT met'}] {text}")

    def ratio_target(server, label, bar, stretch=None):
        row = measured.get((label, many))
        if row and floor.get(many):
            ratio = row.rps / floor[many].rps
            extra = (
                f" (stretch {stretch}x: {'met' if ratio >= stretch else 'not met'})"
                if stretch
                else ""
            )
            check(
                f"{server}, {label} at {many} connections >= {bar}x the floor: {ratio:.2f}x{extra}",
                ratio >= bar,
            )

    for server in dict.fromkeys(r.server for r in rows if r.server.startswith("mlapi")):
        measured = {(r.label, r.connections): r for r in rows if r.server == server}
        production = "production" in server
        for auth in ("token", "API key"):
            ratio_target(
                server,
                f"{auth}, cache miss",
                0.5 if production else 0.6,
                0.7 if production else None,
            )
            ratio_target(server, f"{auth}, cache hit", 0.6)
            miss1, floor1 = measured.get((f"{auth}, cache miss", one)), floor.get(one)
            if miss1 and floor1:
                check(
                    f"{server}, {auth}, cache miss p95 at {one} connection <= the floor's "
                    f"+ 1.5 ms: {miss1.p95_ms:.2f} ms (floor {floor1.p95_ms:.2f} ms)",
                    miss1.p95_ms <= floor1.p95_ms + 1.5,
                )
        ratio_target(server, "GET /livez", 0.9)
        ratio_target(server, "GET /health", 0.6)
    errors = sum(r.errors for r in rows)
    check(f"zero errors in every row: {errors}", errors == 0)
    return out
