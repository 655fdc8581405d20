"""Nothing the service writes is ever NaN or Infinity, which are not JSON (issue 14, item 10).

Python's encoder writes them by default: a client's parser then fails on the answer, and
PostgreSQL refuses the history row while SQLite stores it. Inputs and model answers are
checked to be finite first (tests/security/test_non_finite_values.py); here, a non-finite
number that still reaches an encoder (a bug) raises where the tests see it — in the
response encoder, the history column, a webhook payload, the shared cache — and a log
line stays JSON whatever it carries.
"""

import json
import logging
import math

import pytest
import redis
import sqlalchemy as sa

from mlapi.extensions import db
from mlapi.ops.logs import JsonFormatter
from mlapi.predictions.models import Prediction
from mlapi.predictions.service import cache_key
from mlapi.predictions.state import answer_caches
from mlapi.registry.service import default_model
from mlapi.webhooks import events as webhook_events
from tests.support.servers import REDIS_URL, needs_redis
from tests.unit.helpers import ROW
from tests.unit.webhooks import conftest as webhook_fixtures

dns = webhook_fixtures.dns  # a fixture: the hook's address resolves with no network
NAN = math.nan
NOT_JSON = "not JSON compliant"  # what json.dumps says of NaN and infinities


def refuse_constant(constant):
    raise AssertionError(f"{constant} is not JSON")


def test_a_non_finite_number_in_an_answer_is_an_error_not_invalid_json(app, monkeypatch):
    app.add_url_rule("/test-nan", "test_nan", lambda: {"value": NAN})
    client = app.test_client()

    with pytest.raises(ValueError, match=NOT_JSON):  # TESTING: the error reaches the test
        client.get("/test-nan")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/test-nan")
    assert response.status_code == 500
    body = json.loads(response.get_data(as_text=True), parse_constant=refuse_constant)
    assert body["code"] == "internal_error"


def test_a_non_finite_number_never_enters_the_history(app, user):
    with app.app_context():
        model = default_model()
        db.session.add(
            Prediction(
                owner_id=user.id,
                model_id=model.id,
                model_name=model.name,
                model_version=model.version,
                features=ROW,
                prediction=1.0,
                probabilities={"a": NAN},
                cached=False,
                latency_ms=1.0,
            )
        )
        with pytest.raises((ValueError, sa.exc.StatementError)) as refused:
            db.session.commit()
        db.session.rollback()
        cause = getattr(refused.value, "orig", refused.value)  # SQLite's driver wraps it
        assert isinstance(cause, ValueError)  # refused by the encoder, not by a database
        assert NOT_JSON in str(cause)
        assert db.session.scalar(sa.select(sa.func.count(Prediction.id))) == 0


def test_a_non_finite_number_never_enters_a_webhook_payload(app, client, auth_headers, user, dns):
    hook = client.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example.com/x", "events": ["model.created"]},
        headers=auth_headers,
    )
    assert hook.status_code == 201, hook.get_json()
    with app.app_context(), pytest.raises(ValueError, match=NOT_JSON):
        webhook_events.enqueue(db.session, "model.created", user.id, {"score": NAN})


def test_a_log_line_stays_json_whatever_it_carries():
    record = logging.makeLogRecord(
        {
            "name": "mlapi.test",
            "levelname": "INFO",
            "msg": "odd",
            "latency_ms": NAN,
            "ratio": math.inf,
        }
    )

    line = json.loads(JsonFormatter().format(record), parse_constant=refuse_constant)

    assert (line["latency_ms"], line["ratio"]) == ("NaN", "Infinity")


@needs_redis
def test_a_shared_cache_entry_holding_nan_is_never_served(configured_app, redis_prefix, request):
    app = configured_app(
        REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=redis_prefix, SHARED_CACHE_MIN_MODEL_MS=0
    )
    user, headers = request.getfixturevalue("user"), request.getfixturevalue("auth_headers")
    with app.app_context():
        shared, model = answer_caches().shared, default_model()
        with pytest.raises(ValueError, match=NOT_JSON):  # never written now...
            shared.put_many(model, user.id, [(ROW, {"value": NAN, "probabilities": None})])
        # ...but an entry written before the encoding was strict is treated as missing
        redis.Redis.from_url(REDIS_URL).set(
            shared.key(model, user.id, ROW), '{"value":NaN,"probabilities":null}'
        )
        assert answer_caches().answers.get(cache_key(model, user.id, tuple(ROW))) is None

    response = app.test_client().post("/api/v1/predict", json={"features": ROW}, headers=headers)

    body = json.loads(response.get_data(as_text=True), parse_constant=refuse_constant)
    assert (response.status_code, body["cached"]) == (200, False)
    assert math.isfinite(body["prediction"])
