"""JSON as RFC 8259 defines it, wherever the service writes it (responses, history rows,
webhook payloads, the shared cache, logs).

``NaN`` and ``Infinity`` are not JSON: Python's encoder writes them by default, clients
then fail to parse the answer, and PostgreSQL refuses them in a JSON column. Here a
non-finite number reaching an encoder raises ``ValueError``: it is a bug (inputs and
model answers are checked to be finite first), so it surfaces in the tests as an error
instead of reaching a client as text no JSON parser accepts.
"""

import json

from flask import current_app, jsonify
from flask.json.provider import DefaultJSONProvider


def dumps(value, **kwargs) -> str:
    """``json.dumps`` that refuses NaN and infinities (``ValueError``)."""
    return json.dumps(value, allow_nan=False, **kwargs)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON (``jsonify``, views returning dicts, flask-smorest), strict."""

    def dumps(self, obj, **kwargs) -> str:
        kwargs["allow_nan"] = False
        return super().dumps(obj, **kwargs)


# What ``StrictJSONProvider`` writes outside debug (compact; the app turns ``sort_keys`` off),
# from one encoder made once: ``json.dumps`` with options makes one per call.
_COMPACT = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


def json_answer(body, status: int):
    """``jsonify(body)`` with ``status``: the same bytes and headers, built directly
    (issue 17: the provider's layers cost more than the encoding); in debug, where the
    provider indents, by ``jsonify`` itself. ``body`` holds only JSON's own types."""
    if current_app.debug:
        answer = jsonify(body)
        answer.status_code = status
        return answer
    return current_app.response_class(
        f"{_COMPACT.encode(body)}\n", status=status, mimetype="application/json"
    )
