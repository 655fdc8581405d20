"""Request plumbing shared by every endpoint: request ids, body checks, response headers.

``start_request`` and ``finish`` are request hooks; ``mlapi.pipeline`` runs them in their
place in the one request pipeline.
"""

import json
import logging
import os
import re
import time
from contextlib import contextmanager

from flask import Flask, Request, current_app, g, request
from flask.sessions import SessionInterface
from werkzeug.exceptions import HTTPException

from .errors import MalformedJSON, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

log = logging.getLogger("mlapi.http")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_ENVIRON = "HTTP_X_REQUEST_ID"  # the header as WSGI passes it
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Deeper bodies are refused here: parsed again deeper in the call stack (by webargs), a
# body nested ~1000 levels would otherwise hit Python's recursion limit there, a 500.
MAX_JSON_DEPTH = 64
# JSON's grammar lets a string escape half of a UTF-16 surrogate pair ("\ud800"). Python's
# decoder joins well-formed pairs into one code point, so any surrogate left in a decoded
# string is unpaired: no UTF-8 encoder accepts it, and wherever the string is encoded
# (argon2, the database driver) it fails with a 500. Such a string is not text: refused.
# NUL is refused too (422 on the field): PostgreSQL cannot store it in text, and no field
# of this API needs it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_NUL = "\x00"
# Room for the form's text fields and part headers on top of the file itself.
MULTIPART_OVERHEAD = 64 * 1024
NUL_MESSAGE = "Text may not contain NUL characters."

# The body checks run when an operation reads its body (``mlapi.api.ApiParser``), not
# before every request: a fault of the body comes after routing (404/405), the credential
# (401), the budget (429) and the role (403) in the documented order of refusals, and a body that
# no operation reads is never judged (nor read).


class ApiRequest(Request):
    """Closes an upload's temporary files at the end of the request, also when parsing
    stopped half-way (a body over the limit): Werkzeug only closes the files of a form it
    finished parsing, and leaves the others to the garbage collector."""

    def _get_file_stream(self, *args, **kwargs):
        stream = super()._get_file_stream(*args, **kwargs)
        self.__dict__.setdefault("_upload_streams", []).append(stream)
        return stream

    def close(self) -> None:
        super().close()
        for stream in self.__dict__.get("_upload_streams", ()):
            stream.close()


# The bits ``uuid.UUID(version=4)`` clears and sets: the variant (10xx) and the version (4).
_UUID4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_UUID4_SET = (0x8000 << 48) | (4 << 76)


def new_request_id() -> str:
    """``uuid.uuid4().hex`` without building a ``UUID`` (whose checks cost more than the
    random bytes): the same 32 hex digits, version 4, RFC 4122 variant."""
    return format(int.from_bytes(os.urandom(16), "big") & _UUID4_CLEAR | _UUID4_SET, "032x")


def start_request() -> None:
    """The first hook: the request's one clock (``g.request_started``, read by the access
    log, the metrics and the endpoint stats) and its one id: the client's when it is safe
    to log, else a new one. The context's objects are looked up once: each attribute read
    through a context proxy (``g.x``) costs a few thousand instructions."""
    request_globals = g._get_current_object()
    request_globals.request_started = time.perf_counter()
    supplied = request._get_current_object().environ.get(_REQUEST_ID_ENVIRON, "")
    request_globals.request_id = supplied if _SAFE_REQUEST_ID.match(supplied) else new_request_id()


def admit_upload(limit_setting: str) -> None:
    """415 unless the body is ``multipart/form-data``; allow it ``app.config[limit_setting]``
    bytes plus the form's overhead, 413 at once when its ``Content-Length`` says more (a
    streamed one is cut off while Werkzeug parses the form)."""
    file_limit = current_app.config[limit_setting]
    request.max_content_length = file_limit + MULTIPART_OVERHEAD
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("Send the upload as multipart/form-data.")
    if request.content_length is not None and request.content_length > request.max_content_length:
        raise PayloadTooLarge(f"Files may be at most {file_limit} bytes on this server.")


def refuse_nul(fields, names) -> None:
    """422 naming each of ``names`` whose value in the multidict ``fields`` (a query
    string, a form) holds a NUL character: PostgreSQL cannot store or compare such text
    and would fail the query with a 500. Other fields are the operation's to ignore."""
    errors = {
        name: [NUL_MESSAGE]
        for name in names
        if any(_NUL in value for value in fields.getlist(name))
    }
    if errors:
        raise ValidationFailed(errors)


def read_json_body() -> tuple[dict | None, bool]:
    """The request's JSON object (None when there is no body), and whether one of its
    strings may hold a NUL character (``refuse_nul_in_strings`` then looks).

    415 for a body that is not JSON, 413 for one over the limit, 400 for one that is not
    a JSON object (or is nested too deep, holds a string that is not text, or ends before
    its framing says); NUL characters are validation's (``refuse_nul_in_strings``).
    webargs would ignore a text/plain body and complain about missing fields, and would
    accept a JSON array as "invalid input type"; docs/api.md wants 415 and 400 for those.
    """
    if not _has_body():
        return None, False
    if not request.is_json:
        raise UnsupportedMediaType()
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None:
        # Streamed (chunked): Werkzeug stops reading at the limit without an error, so read
        # one byte more to tell a body at the limit from a longer one cut short.
        request.max_content_length = limit + 1
    body = _body()
    if len(body) > limit:
        raise PayloadTooLarge()
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # bad syntax, bad encoding, absurd nesting
        raise MalformedJSON("The request body is not valid JSON.") from exc
    if not isinstance(payload, dict):
        raise MalformedJSON(
            f"The request body must be a JSON object, not a {type(payload).__name__}."
        )
    if _plain(body):
        return payload, False
    fault = _unusable(payload, MAX_JSON_DEPTH)
    if fault:
        raise MalformedJSON(f"The request body {fault}.")
    return payload, True


def _plain(body: bytes) -> bool:
    """Whether the JSON text ``body`` can hold nothing that ``_unusable`` or
    ``_strings_with_nul`` look for, so the walks of the parsed body can be skipped (issue
    17: they cost more than parsing it). ASCII without NUL bytes is read as UTF-8, byte for
    byte (``json.detect_encoding``); a string of it can then hold a NUL or a surrogate only
    through a ``\\u`` escape (a raw control character is a syntax error), and no
    container can be nested deeper than the brackets it has (brackets in strings count
    too: more than enough)."""
    return (
        body.isascii()
        and b"\x00" not in body
        and b"\\u" not in body
        and body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH
    )


def refuse_nul_in_strings(payload: dict) -> None:
    """422 naming (dotted path) each string of a JSON body that holds a NUL character."""
    errors = {path: [NUL_MESSAGE] for path in _strings_with_nul(payload)}
    if errors:
        raise ValidationFailed(errors)


def _body() -> bytes:
    """The raw body, read once (see ``unreadable_body_is_400``)."""
    with unreadable_body_is_400():
        return request.get_data(cache=True)


@contextmanager
def unreadable_body_is_400():
    """Around the first read of the request's body: an error the server's input stream
    raises is a 400, not a 500. gunicorn reads a chunked body for the app and raises its
    own errors from ``wsgi.input`` when the framing is broken or the client stops half-way
    (``ChunkMissingTerminator``, ``InvalidChunkSize``, ``NoMoreData``, ...; not all of them
    ``OSError``s), so anything but Werkzeug's own HTTP errors (413 over the limit, 400 for
    a disconnected client) means this body cannot be read."""
    try:
        yield
    except HTTPException:
        raise
    except Exception as exc:  # whatever the server's stream raised: see above
        log.warning(
            "request body unreadable (request_id=%s): %s", g.get("request_id"), type(exc).__name__
        )
        raise MalformedJSON(
            "The request body ended early or its chunked framing is broken."
        ) from exc


def _unusable(payload, depth_limit: int) -> str | None:
    """Why a parsed body cannot be used (too deep, or a string that is not text), or None."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                return "is not valid JSON text: a string has an unpaired surrogate escape"
        elif isinstance(value, dict | list):
            if depth > depth_limit:
                return f"is nested more than {depth_limit} levels deep"
            children = [*value, *value.values()] if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return None


def _strings_with_nul(payload) -> list[str]:
    """The dotted path of each string in ``payload`` that holds a NUL character;
    a field whose name holds one is reported at its parent ("body" at the top)."""
    found, stack = [], [(payload, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _NUL in value:
                found.append(path)
            continue
        items = (
            value.items()
            if isinstance(value, dict)
            else enumerate(value if isinstance(value, list) else ())
        )
        for key, child in items:
            if _NUL in str(key):
                found.append(path or "body")
                continue
            stack.append((child, f"{path}.{key}" if path else str(key)))
    return sorted(set(found))


def _has_body() -> bool:
    return (
        bool(request.content_length)
        or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )


# On every response (OWASP secure headers for APIs): no MIME sniffing, no framing, no
# Referer leaking a URL to a third party, no caching of answers that belong to one caller.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_SECURITY_HEADERS = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS.items())
# Data responses only: nothing in a JSON or text body may load or run anything. The docs
# page (HTML) needs its own scripts and styles, so it keeps the browser's defaults.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"


def finish(response):
    """The request id and the security headers on every response: the headers a view set
    itself are read once (each ``setdefault`` would scan them again), ``g`` once."""
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    request_globals = g._get_current_object()
    request_id = request_globals.get("request_id") or request_globals.setdefault(
        "request_id", new_request_id()
    )
    if "x-request-id" in present:
        headers[REQUEST_ID_HEADER] = request_id
    else:
        headers.add(REQUEST_ID_HEADER, request_id)
    for lowered, name, value in _SECURITY_HEADERS:
        if lowered not in present:  # a few short constants
            headers.add(name, value)
    if "content-security-policy" not in present and response.mimetype != "text/html":
        headers.add("Content-Security-Policy", DATA_CSP)
    return response


class NoSessions(SessionInterface):
    """The API keeps no Flask session: callers present a token or an API key on every
    request (docs/api.md), and nothing reads or writes ``flask.session``. Flask's default
    interface would still build a signing serializer and parse the cookies on every
    request; this one hands out Flask's null session at once (read-only, never saved), so
    a session cookie a client sends is ignored, as before, and none is ever set."""

    def open_session(self, app: Flask, request: Request):
        return self.make_null_session(app)

    def save_session(self, app: Flask, session, response) -> None:
        """Flask saves no null session: there is nothing to write."""


def init_http(app: Flask) -> None:
    app.request_class = ApiRequest
    app.session_interface = NoSessions()
