"""A model's owner can read its figures from their own feedback only, and the figures
cannot be pushed to values JSON cannot hold (issue 14, item 10).

Found by the outside test: anyone may predict with a public model and give feedback on
their own predictions, so another user "poisoned" the owner's MAE at will, up to
``Infinity`` (a sum of large errors overflowed), which is not JSON. Now
``?feedback=own`` counts only the owner's feedback, and the MAE is a running mean that
cannot overflow; an error too large for a float makes it null, saying why.
"""

import json

import pytest
from sklearn.datasets import load_diabetes

from tests.unit.helpers import assert_problem
from tests.unit.predictions import conftest as people

alice, bob, person, stored_model = people.alice, people.bob, people.person, people.stored_model
IRIS_ROW = [5.1, 3.5, 1.4, 0.2]  # class 0


def huge_prediction(scale: float) -> list[float]:
    """Features on which the test regressor answers about ``scale`` x 1e308 (third
    coefficient ~383.5)."""
    features = [0.0] * 10
    features[2] = scale * 1e308 / 383.48370376
    return features


def strict(response) -> dict:
    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def predict_and_tell(client, who, model_id, features, actual) -> dict:
    asked = client.post(
        f"/api/v1/models/{model_id}/predict", json={"features": features}, headers=who.headers
    )
    assert asked.status_code == 200, asked.get_json()
    told = client.post(
        f"/api/v1/predictions/{asked.get_json()['prediction_id']}/feedback",
        json={"actual_value": actual},
        headers=who.headers,
    )
    assert told.status_code == 201, told.get_json()
    return asked.get_json()


def metrics(client, who, model_id, **query):
    return client.get(f"/api/v1/models/{model_id}/metrics", query_string=query, headers=who.headers)


def test_the_owner_sees_the_error_of_their_own_feedback_only(client, alice, bob, stored_model):
    model_id = stored_model(alice, "sales", visibility="public")
    data = load_diabetes()
    mine = predict_and_tell(client, alice, model_id, data.data[0].tolist(), float(data.target[0]))
    predict_and_tell(client, bob, model_id, data.data[1].tolist(), 1e300)  # poison

    own = strict(metrics(client, alice, model_id, feedback="own"))
    everyone = strict(metrics(client, alice, model_id))

    assert own["feedback_scope"] == "own"
    assert own["mae"] == pytest.approx(abs(float(data.target[0]) - mine["prediction"]))
    assert (own["feedback_count"], own["prediction_count"]) == (1, 2)  # volume: everyone's
    assert everyone["feedback_scope"] == "all"
    assert (everyone["feedback_count"], everyone["prediction_count"]) == (2, 2)
    assert everyone["mae"] > 1e299
    assert own["mean_latency_ms"] == everyone["mean_latency_ms"]


def test_the_owner_sees_the_accuracy_of_their_own_feedback_only(client, alice, bob, stored_model):
    model_id = stored_model(alice, "iris", kind="classifier", visibility="public")
    predict_and_tell(client, alice, model_id, IRIS_ROW, 0)  # right
    predict_and_tell(client, bob, model_id, IRIS_ROW, 2)  # wrong on purpose

    own = strict(metrics(client, alice, model_id, feedback="own"))
    everyone = strict(metrics(client, alice, model_id, feedback="all"))

    assert (own["accuracy"], own["feedback_count"]) == (1.0, 1)
    assert (everyone["accuracy"], everyone["feedback_count"]) == (0.5, 2)


@pytest.mark.parametrize("scope", ["mine", "OWN", "", "own,all"])
def test_an_unknown_feedback_scope_is_refused(client, alice, stored_model, scope):
    model_id = stored_model(alice, "sales")

    body = assert_problem(metrics(client, alice, model_id, feedback=scope), 422, "validation_error")

    assert list(body["errors"]) == ["feedback"]


def test_a_model_you_may_not_see_is_refused_whatever_the_scope(client, alice, bob, stored_model):
    model_id = stored_model(alice, "sales")  # private

    plain = metrics(client, bob, model_id)
    odd = metrics(client, bob, model_id, feedback="mine")

    assert plain.status_code in (403, 404)
    assert odd.status_code == plain.status_code


def test_large_errors_do_not_overflow_the_mean(client, alice, bob, stored_model):
    model_id = stored_model(alice, "sales", visibility="public")
    first = predict_and_tell(client, bob, model_id, huge_prediction(1.0), -0.5e308)
    second = predict_and_tell(client, bob, model_id, huge_prediction(0.9), -0.5e308)

    body = strict(metrics(client, alice, model_id))

    errors = [abs(-0.5e308 - first["prediction"]), abs(-0.5e308 - second["prediction"])]
    assert body["mae"] == pytest.approx(errors[0] / 2 + errors[1] / 2)  # their sum overflows
    assert body["metrics_note"] is None


def test_an_error_too_large_for_a_float_makes_the_mae_null_saying_why(
    client, alice, bob, stored_model
):
    model_id = stored_model(alice, "sales", visibility="public")
    predict_and_tell(client, alice, model_id, huge_prediction(0.1), 0.0)
    predict_and_tell(client, bob, model_id, huge_prediction(1.0), -1e308)  # |error| = 2e308

    everyone = strict(metrics(client, alice, model_id))
    own = strict(metrics(client, alice, model_id, feedback="own"))

    assert everyone["mae"] is None
    assert "too large" in everyone["metrics_note"]
    assert own["mae"] == pytest.approx(1e307, rel=1e-3)
    assert own["metrics_note"] is None
