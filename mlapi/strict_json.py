"""JSON as RFC 8259 defines it, wherever the service writes it (responses, history rows,
webhook payloads, the shared cache, logs).

``NaN`` and ``Infinity`` are not JSON: Python's encoder writes them by default, clients
then fail to parse the answer, and PostgreSQL refuses them in a JSON column. Here a
non-finite number reaching an encoder raises ``ValueError``: it is a bug (inputs and
model answers are checked to be finite first), so it surfaces in the tests as an error
instead of reaching a client as text no JSON parser accepts.
"""

import json

from flask.json.provider import DefaultJSONProvider


def dumps(value, **kwargs) -> str:
    """``json.dumps`` that refuses NaN and infinities (``ValueError``)."""
    return json.dumps(value, allow_nan=False, **kwargs)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON (``jsonify``, views returning dicts, flask-smorest), strict."""

    def dumps(self, obj, **kwargs) -> str:
        kwargs["allow_nan"] = False
        return super().dumps(obj, **kwargs)
