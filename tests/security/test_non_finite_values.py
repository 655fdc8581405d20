"""Numbers no JSON can hold never reach a client, the history or the database (issue 14,
items 7 and 10).

Found by the outside test: a classifier given huge features answers NaN probabilities
(PostgreSQL refuses the history row: a 500 every time; SQLite stored them and the answer
was invalid JSON), feedback with a 400-digit number crashed the finiteness check, and an
email that grows past 254 characters when lower-cased overflowed its column on PostgreSQL.
Every answer here is parsed strictly: a ``NaN`` or ``Infinity`` in it fails the test.
"""

import json
import math

import pytest

from mlapi.extensions import db
from mlapi.predictions.models import Prediction
from tests.unit.helpers import ROW, assert_problem
from tests.unit.predictions import conftest as people

alice, person, stored_model = people.alice, people.person, people.stored_model  # fixtures

# The test classifier (LogisticRegression on iris) answers class 2 with NaN probabilities:
# its decision function is -inf and +inf at once, and softmax(inf - inf) is NaN.
NAN_PROBABILITIES = [1e308, 1e308, 1e308, 1e308]
IRIS_ROW = [5.1, 3.5, 1.4, 0.2]


def strict_json(response):
    """The body parsed as RFC 8259 JSON: NaN, Infinity and -Infinity are refused."""

    def refuse(constant):
        raise AssertionError(f"the answer holds {constant}, which is not JSON")

    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def history_count(app, owner_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count(Prediction.id)).where(Prediction.owner_id == owner_id)
        )


def test_nan_probabilities_are_refused_on_features_and_not_recorded(
    app, client, alice, stored_model
):
    model_id = stored_model(alice, "iris", kind="classifier")

    response = client.post(
        f"/api/v1/models/{model_id}/predict",
        json={"features": NAN_PROBABILITIES},
        headers=alice.headers,
    )

    body = assert_problem(response, 422, "validation_error")
    assert list(strict_json(response)["errors"]) == ["features"]
    assert "finite" in body["errors"]["features"][0]
    assert history_count(app, alice.id) == 0


def test_a_batch_with_one_non_finite_answer_is_refused_whole(app, client, alice, stored_model):
    model_id = stored_model(alice, "iris", kind="classifier")

    response = client.post(
        f"/api/v1/models/{model_id}/batch-predict",
        json={"samples": [IRIS_ROW, NAN_PROBABILITIES, IRIS_ROW]},
        headers=alice.headers,
    )

    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]) == ["samples.1"]
    assert history_count(app, alice.id) == 0


def test_the_default_model_as_a_classifier_refuses_nan_probabilities(
    app, client, alice, stored_model, admin_headers
):
    model_id = stored_model(alice, "iris", kind="classifier", visibility="public")
    chosen = client.put(
        "/api/v1/admin/default-model", json={"model_id": model_id}, headers=admin_headers
    )
    assert chosen.status_code == 200, chosen.get_json()

    single = client.post(
        "/api/v1/predict", json={"features": NAN_PROBABILITIES}, headers=alice.headers
    )
    batch = client.post(
        "/api/v1/batch-predict",
        json={"samples": [IRIS_ROW, NAN_PROBABILITIES]},
        headers=alice.headers,
    )

    assert list(assert_problem(single, 422, "validation_error")["errors"]) == ["features"]
    assert list(assert_problem(batch, 422, "validation_error")["errors"]) == ["samples.1"]
    assert history_count(app, alice.id) == 0


def test_an_infinite_regression_answer_is_refused(app, client, alice, stored_model):
    model_id = stored_model(alice, "sales")

    response = client.post(
        f"/api/v1/models/{model_id}/predict", json={"features": [1e308] * 10}, headers=alice.headers
    )

    assert list(assert_problem(response, 422, "validation_error")["errors"]) == ["features"]
    assert history_count(app, alice.id) == 0


def test_a_finite_answer_next_to_a_refused_one_still_works(client, alice, stored_model):
    model_id = stored_model(alice, "iris", kind="classifier")

    response = client.post(
        f"/api/v1/models/{model_id}/predict", json={"features": IRIS_ROW}, headers=alice.headers
    )

    assert response.status_code == 200
    probabilities = strict_json(response)["probabilities"]
    assert all(math.isfinite(p) for p in probabilities.values())


@pytest.mark.parametrize(
    "actual",
    ["9" * 400, "-" + "9" * 400, "1e400", "-1e400", "NaN", "Infinity"],
    ids=["400 digits", "-400 digits", "1e400", "-1e400", "NaN", "Infinity"],
)
def test_feedback_must_be_a_finite_number(client, alice, stored_model, actual):
    model_id = stored_model(alice, "sales")
    asked = client.post(
        f"/api/v1/models/{model_id}/predict", json={"features": ROW}, headers=alice.headers
    ).get_json()

    response = client.post(
        f"/api/v1/predictions/{asked['prediction_id']}/feedback",
        data='{"actual_value": ' + actual + "}",
        content_type="application/json",
        headers=alice.headers,
    )

    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]) == ["actual_value"]
    assert "finite" in body["errors"]["actual_value"][0]


def test_feedback_of_a_huge_integer_on_an_unlabelled_classifier_is_refused(
    app, client, alice, stored_model
):
    model_id = stored_model(alice, "iris", kind="classifier")
    with app.app_context():  # a classifier whose classes were not recorded
        from mlapi.registry.models import MLModel

        db.session.get(MLModel, model_id).classes = None
        db.session.commit()
    asked = client.post(
        f"/api/v1/models/{model_id}/predict", json={"features": IRIS_ROW}, headers=alice.headers
    ).get_json()

    response = client.post(
        f"/api/v1/predictions/{asked['prediction_id']}/feedback",
        data='{"actual_value": ' + "9" * 400 + "}",
        content_type="application/json",
        headers=alice.headers,
    )

    assert list(assert_problem(response, 422, "validation_error")["errors"]) == ["actual_value"]


@pytest.mark.parametrize(
    "local",
    ["\u0130" * 64, "a" * 40 + "\u0130" * 24],
    ids=["all dotted capital I", "some dotted capital I"],
)
def test_an_email_longer_than_254_once_lower_cased_is_refused(client, local):
    email = f"{local}@" + ".".join(["d" * 60] * 3) + ".org"  # 251 characters as sent
    assert len(email) <= 254 < len(email.lower())

    response = client.post(
        "/api/v1/auth/register",
        json={"username": "dotted", "email": email, "password": "plum-velvet-orchard-42"},
    )

    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]) == ["email"]
    assert "254" in body["errors"]["email"][0]


def test_an_email_of_254_characters_once_lower_cased_is_accepted(client):
    email = "a" * 60 + "@" + ".".join(["d" * 60] * 3) + "." + "e" * 10
    assert len(email.lower()) == 254

    response = client.post(
        "/api/v1/auth/register",
        json={
            "username": "long_mail",
            "email": email.upper(),
            "password": "plum-velvet-orchard-42",
        },
    )

    assert response.status_code == 201, response.get_json()
