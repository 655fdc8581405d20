"""``mlapi.strict_json.json_answer``, the predict operations' answers written without
jsonify's layers: what jsonify writes, byte for byte, with the operation's status."""

import pytest
from flask import jsonify

from mlapi.strict_json import json_answer

ANSWER = {
    "prediction": 0.1 + 0.2,
    "probabilities": {"b": 1e-300, "a": 0.5},
    "model_id": 7,
    "model_name": "Ünïcode \u2028 name",
    "model_version": 3,
    "cached": False,
    "latency_ms": 12.5,
    "prediction_id": 2**53 + 1,
}


@pytest.mark.parametrize("debug", [False, True])
def test_it_is_what_jsonify_writes(app, debug):
    app.debug = debug
    try:
        with app.app_context():
            expected, answer = jsonify(ANSWER), json_answer(ANSWER, 201)
    finally:
        app.debug = False

    assert answer.get_data() == expected.get_data()
    assert list(answer.headers) == list(expected.headers)
    assert answer.status_code == 201
    assert (b"\n  " in answer.get_data()) is debug


def test_a_non_finite_number_is_refused(app):
    with app.app_context(), pytest.raises(ValueError, match="JSON"):
        json_answer({"prediction": float("nan")}, 200)
