"""Cross-origin requests from browsers, with flask-cors.

Only the origins listed in ``CORS_ORIGINS`` (``MLAPI_CORS_ORIGINS``, comma-separated) may
call the API from a browser; with none listed (the default) no CORS header is ever sent, so
browsers keep other origins out. Preflights (``OPTIONS`` with
``Access-Control-Request-Method``) are answered by Flask's automatic ``OPTIONS`` response
(200, no body, no credential needed, no rate-limit budget spent), which flask-cors decorates.

Credentials (``Access-Control-Allow-Credentials``) are allowed only for an explicit list of
origins, never with ``*``: a browser refuses that combination, and it would let any site
use a visitor's credentials.
"""

from flask import Flask
from flask_cors import CORS

ALLOW_HEADERS = ["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"]
EXPOSE_HEADERS = ["X-Request-ID", "Retry-After", "X-RateLimit-Limit",
                  "X-RateLimit-Remaining", "X-RateLimit-Reset", "Location"]
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
