"""Per-endpoint request counts and p95 latency for admin stats: this process's own, or every
worker's under gunicorn (docs/production.md#4-metrics-and-admin-stats-over-all-workers).

Memory is bounded: one entry per (method, route template), each an exact count and a
fixed-size reservoir sample (Vitter's algorithm R); requests that match no route are not
recorded. The multiprocess p95 is read from the histogram's buckets, as Prometheus'
``histogram_quantile`` does (linear within the bucket).
"""

import math
import os
import random
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from flask import Flask, current_app

from .seen import Seen

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
        key = (method, endpoint)
        with self._lock:  # a new entry only for a new endpoint (setdefault builds one each time)
            figures = self._figures.get(key)
            if figures is None:
                figures = self._figures[key] = EndpointFigures()
            figures.add(duration_ms, self._rng)

    def snapshot(self) -> list[dict]:
        """One row per endpoint, busiest first, then by path and method."""
        with self._lock:
            rows = [
                {
                    "method": method,
                    "endpoint": endpoint,
                    "count": figures.count,
                    "p95_ms": round(figures.p95(), 3),
                }
                for (method, endpoint), figures in self._figures.items()
            ]
        return sorted(rows, key=lambda r: (-r["count"], r["endpoint"], r["method"]))


HTTP_HISTOGRAM = "mlapi_http_request_duration_seconds"  # mlapi.ops.metrics' request series
UNMATCHED = "(unmatched)"  # its endpoint label for requests that match no route


class MultiprocessEndpointRecorder:
    """The figures of every process writing to a Prometheus multiprocess directory.

    Records nothing itself: the request histogram of ``mlapi.ops.metrics`` is the record.
    """

    def __init__(self, directory: str):
        self.directory = directory

    def record(self, method: str, endpoint: str, duration_ms: float) -> None:
        """Nothing to do: every worker's exporter writes the histogram."""

    def snapshot(self) -> list[dict]:
        from prometheus_client.multiprocess import MultiProcessCollector

        counts: dict[tuple[str, str], float] = defaultdict(float)
        buckets: dict[tuple[str, str], dict[float, float]] = defaultdict(lambda: defaultdict(float))
        collector = MultiProcessCollector(None, path=self.directory)
        for metric in collector.collect():
            if metric.name != HTTP_HISTOGRAM:
                continue
            for sample in metric.samples:
                endpoint = sample.labels.get("endpoint")
                if endpoint is None or endpoint == UNMATCHED:
                    continue
                key = (sample.labels.get("method", ""), endpoint)
                if sample.name == f"{HTTP_HISTOGRAM}_count":
                    counts[key] += sample.value
                elif sample.name == f"{HTTP_HISTOGRAM}_bucket":
                    buckets[key][float(sample.labels["le"])] += sample.value
        rows = [
            {
                "method": method,
                "endpoint": endpoint,
                "count": int(count),
                "p95_ms": round(histogram_quantile(0.95, buckets[method, endpoint]) * 1000, 3),
            }
            for (method, endpoint), count in counts.items()
            if count
        ]
        return sorted(rows, key=lambda r: (-r["count"], r["endpoint"], r["method"]))


def histogram_quantile(quantile: float, cumulative: dict[float, float]) -> float:
    """Prometheus' estimate of a quantile (0 < q <= 1) from cumulative bucket counts
    (``le`` -> count).

    Linear interpolation inside the bucket that holds the rank; a rank in the ``+Inf``
    bucket answers the highest finite bound. 0.0 when nothing was observed.
    """
    bounds = sorted(cumulative)
    if not bounds or cumulative[bounds[-1]] <= 0:
        return 0.0
    rank = quantile * cumulative[bounds[-1]]  # 0 < quantile <= 1: 0 < rank <= the total
    at = next(i for i, bound in enumerate(bounds) if cumulative[bound] >= rank)
    bound = bounds[at]
    lower, below = (bounds[at - 1], cumulative[bounds[at - 1]]) if at else (0.0, 0.0)
    if math.isinf(bound):
        return lower
    return lower + (bound - lower) * (rank - below) / (cumulative[bound] - below)


@cache  # one entry per route of the app: worked out once per process, not per request
def route_template(rule: str) -> str:
    """``/models/<int(min=1):model_id>`` -> ``/models/{model_id}``: one name per route."""
    return _RULE_PARAM.sub(r"{\1}", rule)


def record_request(seen: Seen) -> None:
    """The endpoint-stats step of the pipeline: a matched request's duration, in this
    process's recorder (nothing to do in multiprocess mode: the request histogram is the
    record)."""
    if seen.endpoint is not None and seen.seconds is not None:
        recorder(current_app._get_current_object()).record(
            seen.method, seen.endpoint, seen.seconds * 1000
        )


def recorder(app: Flask) -> EndpointRecorder | MultiprocessEndpointRecorder:
    return app.extensions["mlapi.endpoint_recorder"]


def register_endpoint_recorder(app: Flask) -> None:
    """The app's recorder (``record_request`` feeds it, in the pipeline).

    With ``PROMETHEUS_MULTIPROC_DIR`` set (as prometheus_client reads it: when the process
    starts), the figures come from every process writing there.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    app.extensions["mlapi.endpoint_recorder"] = (
        MultiprocessEndpointRecorder(directory)
        if directory and os.path.isdir(directory)
        else EndpointRecorder()
    )
