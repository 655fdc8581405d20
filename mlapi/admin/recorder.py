"""Per-endpoint request counts and p95 latency since the process started, for admin stats.

Memory is bounded: one entry per (method, route) the app defines (requests that match no
route are not recorded), each holding an exact count and a fixed-size uniform sample of
durations (reservoir sampling, Vitter's algorithm R), from which p95 is read. The figures
are this process's own; aggregating the workers of a host needs shared files (Prometheus
multiprocess mode) and comes with ``/metrics``.
"""

import math
import random
import re
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app, g, request

RESERVOIR_SIZE = 1024
_RULE_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass
class EndpointFigures:
    count: int = 0
    samples: list[float] = field(default_factory=list)

    def add(self, duration_ms: float, rng: random.Random) -> None:
        self.count += 1
        if len(self.samples) < RESERVOIR_SIZE:
            self.samples.append(duration_ms)
            return
        slot = rng.randrange(self.count)
        if slot < RESERVOIR_SIZE:
            self.samples[slot] = duration_ms

    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)] if ordered else 0.0


class EndpointRecorder:
    """Thread-safe: workers with threads share one recorder per process."""

    def __init__(self, seed: int | None = None):
        self._figures: dict[tuple[str, str], EndpointFigures] = {}
        self._lock = threading.Lock()
        self._rng = random.Random(seed)  # noqa: S311  (sampling, not security)

    def record(self, method: str, endpoint: str, duration_ms: float) -> None:
        with self._lock:
            figures = self._figures.setdefault((method, endpoint), EndpointFigures())
            figures.add(duration_ms, self._rng)

    def snapshot(self) -> list[dict]:
        """One row per endpoint, busiest first, then by path and method."""
        with self._lock:
            rows = [{"method": method, "endpoint": endpoint, "count": figures.count,
                     "p95_ms": round(figures.p95(), 3)}
                    for (method, endpoint), figures in self._figures.items()]
        return sorted(rows, key=lambda r: (-r["count"], r["endpoint"], r["method"]))


def route_template(rule: str) -> str:
    """``/models/<int(min=1):model_id>`` -> ``/models/{model_id}``: one name per route."""
    return _RULE_PARAM.sub(r"{\1}", rule)


def _start_clock() -> None:
    g.request_started = time.perf_counter()


def _record(response):
    started = g.get("request_started")
    if started is not None and request.url_rule is not None:
        endpoint = route_template(request.url_rule.rule)
        recorder(current_app).record(request.method, endpoint,
                                     (time.perf_counter() - started) * 1000)
    return response


def recorder(app: Flask) -> EndpointRecorder:
    return app.extensions["mlapi.endpoint_recorder"]


def register_endpoint_recorder(app: Flask) -> None:
    """Register before the other request hooks, so the clock starts first."""
    app.extensions["mlapi.endpoint_recorder"] = EndpointRecorder()
    app.before_request(_start_clock)
    app.after_request(_record)
