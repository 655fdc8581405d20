"""Request plumbing shared by every endpoint: request ids, body checks, response headers."""

import json
import re
import uuid

from flask import Flask, Request, current_app, g, request

from .errors import MalformedJSON, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}
# Deeper bodies are refused here: parsed again deeper in the call stack (by webargs), a
# body nested ~1000 levels would otherwise hit Python's recursion limit there, a 500.
MAX_JSON_DEPTH = 64
# JSON's grammar lets a string escape half of a UTF-16 surrogate pair ("\ud800"). Python's
# decoder joins well-formed pairs into one code point, so any surrogate left in a decoded
# string is unpaired: no UTF-8 encoder accepts it, and wherever the string is encoded
# (argon2, the database driver) it fails with a 500. Such a string is not text: refused.
# NUL is refused too: PostgreSQL cannot store it in text, and no field of this API needs it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_NUL = "\x00"
# A view marked with ``accepts_upload`` takes multipart/form-data instead of JSON.
_UPLOAD_LIMIT = "_mlapi_upload_limit"
# Room for the form's text fields and part headers on top of the file itself.
MULTIPART_OVERHEAD = 64 * 1024


def accepts_upload(limit_setting: str):
    """Mark a view as taking a ``multipart/form-data`` upload instead of a JSON body.

    The body checks below then demand multipart (415 otherwise) and allow the request up
    to ``app.config[limit_setting]`` bytes (plus the form's overhead) instead of the JSON
    limit; Werkzeug spools file parts to a temporary file, and a body over the limit is
    refused with 413 from its ``Content-Length`` or while it streams in. The marker is a
    function attribute, which ``functools.wraps`` carries through the decorator stack.
    """

    def mark(view):
        setattr(view, _UPLOAD_LIMIT, limit_setting)
        return view

    return mark


def _upload_limit_setting() -> str | None:
    view = current_app.view_functions.get(request.endpoint or "")
    handler = getattr(getattr(view, "view_class", None), request.method.lower(), view)
    return getattr(handler, _UPLOAD_LIMIT, None)


def _admit_upload(limit_setting: str) -> None:
    file_limit = current_app.config[limit_setting]
    request.max_content_length = file_limit + MULTIPART_OVERHEAD
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("Send the upload as multipart/form-data.")
    if request.content_length is not None and request.content_length > \
            request.max_content_length:
        raise PayloadTooLarge(f"Files may be at most {file_limit} bytes on this server.")


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


def _assign_request_id() -> None:
    """Echo a client's request id when it is safe to log, else make one."""
    supplied = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = supplied if _SAFE_REQUEST_ID.match(supplied) else uuid.uuid4().hex


def _reject_nul_in_text() -> None:
    """422 for a NUL character in a query parameter or a form field (JSON bodies are checked
    in ``_unusable``): PostgreSQL cannot store or compare text holding one and would fail
    the query with a 500, SQLite would store it; neither is text a user meant to send."""
    fields = list(request.args.items(multi=True))
    if request.mimetype == "multipart/form-data":
        fields += request.form.items(multi=True)
    errors = {(name if _NUL not in name else "query"): ["Text may not contain NUL characters."]
              for name, value in fields if _NUL in name or _NUL in value}
    if errors:
        raise ValidationFailed(errors)


def _reject_unreadable_body() -> None:
    """415 for a body that is not JSON, 400 for JSON that is not an object (or that is
    nested too deep, or holds a string that is not text).

    webargs would ignore a text/plain body and complain about missing fields, and would
    accept a JSON array as "invalid input type"; SPEC §3 wants 415 and 400 for those.
    """
    if request.method not in _BODY_METHODS or not _has_body():
        return
    upload_limit = _upload_limit_setting()
    if upload_limit is not None:
        _admit_upload(upload_limit)
        return
    if not request.is_json:
        raise UnsupportedMediaType()
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None:
        # Streamed (chunked): Werkzeug stops reading at the limit without an error, so read
        # one byte more to tell a body at the limit from a longer one cut short.
        request.max_content_length = limit + 1
    if len(request.get_data(cache=True)) > limit:
        raise PayloadTooLarge()
    try:
        payload = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError) as exc:  # bad syntax, bad encoding, absurd nesting
        raise MalformedJSON("The request body is not valid JSON.") from exc
    if not isinstance(payload, dict):
        raise MalformedJSON("The request body must be a JSON object, not a "
                            f"{type(payload).__name__}.")
    fault = _unusable(payload, MAX_JSON_DEPTH)
    if fault:
        raise MalformedJSON(f"The request body {fault}.")


def _unusable(payload, depth_limit: int) -> str | None:
    """Why a parsed body cannot be used (too deep, or a string that is not text), or None."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                return "is not valid JSON text: a string has an unpaired surrogate escape"
            if _NUL in value:
                return "holds a NUL character (\\u0000) in a string"
        elif isinstance(value, dict | list):
            if depth > depth_limit:
                return f"is nested more than {depth_limit} levels deep"
            children = [*value, *value.values()] if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return None


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", "").lower()


# On every response (OWASP secure headers for APIs): no MIME sniffing, no framing, no
# Referer leaking a URL to a third party, no caching of answers that belong to one caller.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
# Data responses only: nothing in a JSON or text body may load or run anything. The docs
# page (HTML) needs its own scripts and styles, so it keeps the browser's defaults.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"


def _finish(response):
    response.headers[REQUEST_ID_HEADER] = g.get("request_id") or uuid.uuid4().hex
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype != "text/html":
        response.headers.setdefault("Content-Security-Policy", DATA_CSP)
    return response


def register_request_hooks(app: Flask) -> None:
    app.request_class = ApiRequest
    app.before_request(_assign_request_id)
    app.before_request(_reject_unreadable_body)
    app.before_request(_reject_nul_in_text)
    app.after_request(_finish)
