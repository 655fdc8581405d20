"""Whether the shared cache (Redis) answers: the ``cache`` field of ``/health``.

``"disabled"`` without ``REDIS_URL``; ``"ok"`` when Redis answers a PING within
``PING_TIMEOUT_SECONDS``; ``"unavailable"`` otherwise. Redis only speeds things up (rate
limits fall back to per-process counts), so an unavailable cache never fails the health
check.
"""

import logging

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

PING_TIMEOUT_SECONDS = 0.2
_CLIENT = "mlapi.cache_ping"

log = logging.getLogger("mlapi.ops")


def _client(url: str) -> redis.Redis:
    client = current_app.extensions.get(_CLIENT)
    if client is None:
        client = redis.Redis.from_url(
            url,
            socket_timeout=PING_TIMEOUT_SECONDS,
            socket_connect_timeout=PING_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        current_app.extensions[_CLIENT] = client
    return client


def cache_status() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "disabled"
    try:
        return "ok" if _client(url).ping() else "unavailable"
    except (redis.RedisError, OSError, ValueError) as exc:  # down, refused, bad URL
        log.warning("cache check failed: %s", type(exc).__name__)
        return "unavailable"
