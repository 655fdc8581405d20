"""The shared tier of the prediction cache: Redis, looked up after a miss in the process LRU
(docs/storage-and-caching.md#prediction-cache-two-tiers).

Redis is an accelerator, never a dependency: any error skips the tier for that request and
keeps it off for ``RETRY_AFTER_SECONDS``, so an outage costs one timeout per process per
interval.
"""

import hashlib
import json
import logging
import struct
import threading
from collections.abc import Sequence
from datetime import timedelta
from time import monotonic, perf_counter

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .. import strict_json
from ..counters import count_shared_cache
from ..lru import LRUCache

log = logging.getLogger("mlapi.predictions")

SOCKET_TIMEOUT_SECONDS = 0.1
RETRY_AFTER_SECONDS = 5.0
SMOOTHING = 0.2  # weight of the newest time in a moving average
MISS_ROUND_TRIPS = 2  # a miss here costs an MGET, then a SET
_ERRORS = (redis.RedisError, OSError, ValueError)  # down, refused, timed out, bad URL


def features_digest(row: Sequence[float]) -> str | None:
    """A stable digest of the exact feature values; None when they are not all doubles."""
    try:
        packed = struct.pack(f"<{len(row)}d", *(float(v) for v in row))
    except (OverflowError, TypeError, ValueError, struct.error):
        return None
    return hashlib.sha256(packed).hexdigest()[:32]


class SharedPredictionCache:
    def __init__(self, url: str, prefix: str, ttl: int | timedelta, min_model_ms: float = 0.0):
        self.url = url
        self.prefix = prefix
        self.ttl = ttl
        self.min_model_ms = min_model_ms
        self._model_ms = LRUCache(1024)  # (model id, version) -> CPU time, moving average, ms
        self.round_trip_ms = 0.0  # one call to Redis, moving average; 0: not measured yet
        self._client: redis.Redis | None = None
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0

    @classmethod
    def from_config(cls, config) -> "SharedPredictionCache | None":
        if not config.get("REDIS_URL"):
            return None
        prefix = config.get("CACHE_KEY_PREFIX") or config.get("RATELIMIT_KEY_PREFIX") or "mlapi"
        return cls(
            config["REDIS_URL"],
            prefix,
            config["PREDICTION_CACHE_TTL_SECONDS"],
            config["SHARED_CACHE_MIN_MODEL_MS"],
        )

    def worth_asking(self, model) -> bool:
        """Whether asking this tier can cost less than calling ``model``: its CPU time per
        call against the bar and two round trips (why CPU time:
        docs/storage-and-caching.md#prediction-cache-two-tiers). ``min_model_ms`` 0 asks
        about every model."""
        if self.min_model_ms <= 0:
            return True
        seen = self._model_ms.get((model.id, model.version))
        return seen is None or seen >= max(self.min_model_ms, MISS_ROUND_TRIPS * self.round_trip_ms)

    def note_inference(self, model, cpu_ms: float) -> None:
        """The CPU time one call of ``model`` took (``time.thread_time``), for ``worth_asking``."""
        key = (model.id, model.version)
        seen = self._model_ms.get(key)
        self._model_ms.put(key, cpu_ms if seen is None else seen + SMOOTHING * (cpu_ms - seen))

    def note_round_trip(self, milliseconds: float) -> None:
        """How long one call to Redis took from here, wall-clock (the time a request waits
        for it, load included), for ``worth_asking``."""
        seen = self.round_trip_ms
        self.round_trip_ms = (
            milliseconds if seen == 0.0 else seen + SMOOTHING * (milliseconds - seen)
        )

    def key(self, model, user_id: int, row: Sequence[float]) -> str | None:
        """``model`` has ``id``, ``version`` and ``sha256`` (a record)."""
        digest = features_digest(row)
        if digest is None:
            return None
        return (
            f"{self.prefix}:prediction:{model.id}:{model.version}:"
            f"{model.sha256[:16]}:u{user_id}:{digest}"
        )

    @property
    def available(self) -> bool:
        """False during an outage, until the next retry is due."""
        return not self._down or monotonic() >= self._retry_at

    def get_many(self, model, user_id: int, rows: Sequence[Sequence[float]]) -> list[dict | None]:
        """The answer ``user_id`` was given (``{"value", "probabilities"}``) per row, None
        where missing."""
        keys = [self.key(model, user_id, row) for row in rows]
        wanted = [k for k in keys if k is not None]
        if not wanted or not self.available:
            count_shared_cache("unavailable" if wanted else "miss", len(rows))
            return [None] * len(rows)
        try:
            started = perf_counter()
            values = self._redis().mget(wanted)
            self.note_round_trip((perf_counter() - started) * 1000)
        except _ERRORS as exc:
            self._failed(exc)
            count_shared_cache("unavailable", len(rows))
            return [None] * len(rows)
        self._succeeded()
        stored = dict(zip(wanted, values, strict=True))
        answers = [None if k is None else _decode(stored[k]) for k in keys]
        hits = sum(a is not None for a in answers)
        count_shared_cache("hit", hits)
        count_shared_cache("miss", len(rows) - hits)
        return answers

    def put_many(self, model, user_id: int, items: Sequence[tuple[Sequence[float], dict]]) -> None:
        """Store ``user_id``'s ``(row, answer)`` pairs, each with the TTL; Redis errors are
        only logged. A non-finite number in an answer raises (``ValueError``): a bug, since
        such answers are refused first."""
        pairs = [(self.key(model, user_id, row), answer) for row, answer in items]
        try:
            encoded = [
                (k, strict_json.dumps(a, separators=(",", ":"))) for k, a in pairs if k is not None
            ]
        except TypeError as exc:  # an answer JSON cannot hold (an odd label type)
            log.warning("prediction answer not cacheable in Redis: %s", exc)
            return
        if not encoded or not self.available:
            return
        try:
            pipe = self._redis().pipeline(transaction=False)
            for key, text in encoded:
                pipe.set(key, text, ex=self.ttl)
            pipe.execute()
        except _ERRORS as exc:
            self._failed(exc)
            return
        self._succeeded()

    def _redis(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis.from_url(
                self.url,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),
                health_check_interval=0,
            )
        return self._client

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            first = not self._down
            self._down = True
            self._retry_at = monotonic() + RETRY_AFTER_SECONDS
        if first:
            log.warning(
                "shared prediction cache (Redis) unavailable: %s; answering without "
                "it, retrying every %.0f s",
                type(exc).__name__,
                RETRY_AFTER_SECONDS,
            )

    def _succeeded(self) -> None:
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                log.info("shared prediction cache (Redis) is back")


def _decode(raw) -> dict | None:
    if raw is None:
        return None
    try:
        answer = json.loads(raw, parse_constant=_not_json)
    except ValueError:
        return None
    if not isinstance(answer, dict) or "value" not in answer:
        return None
    return {"value": answer["value"], "probabilities": answer.get("probabilities")}


def _not_json(constant: str):
    """NaN and Infinity are not JSON: an entry holding one (written before the encoding was
    strict) is treated as missing."""
    raise ValueError(f"{constant} is not JSON")
