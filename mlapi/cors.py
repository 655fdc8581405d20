"""Cross-origin requests from browsers, with flask-cors (docs/rate-limits.md#cors)."""

from flask import Flask
from flask_cors import CORS

ALLOW_HEADERS = ["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"]
EXPOSE_HEADERS = [
    "X-Request-ID",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Location",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight's answer


def init_cors(app: Flask) -> CORS | None:
    origins = list(app.config.get("CORS_ORIGINS") or [])
    if not origins:
        return None
    wildcard = "*" in origins
    return CORS(
        app,
        origins="*" if wildcard else origins,
        methods=METHODS,
        allow_headers=ALLOW_HEADERS,
        expose_headers=EXPOSE_HEADERS,
        supports_credentials=not wildcard,
        send_wildcard=wildcard,
        max_age=PREFLIGHT_MAX_AGE,
        always_send=False,  # no Origin header, no CORS headers
        vary_header=True,
    )
