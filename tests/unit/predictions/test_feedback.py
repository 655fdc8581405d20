"""POST /api/v1/predictions/{id}/feedback: the prediction's owner alone says what really
happened; a second feedback replaces the first."""

from types import SimpleNamespace

import pytest

from mlapi.errors import ValidationFailed
from mlapi.extensions import db
from mlapi.predictions import feedback as feedback_service
from mlapi.predictions.models import Feedback
from mlapi.timeutil import utcnow
from tests.unit.helpers import ROW, assert_problem

FLOWER = [5.1, 3.5, 1.4, 0.2]


def feedback_path(prediction_id: int) -> str:
    return f"/api/v1/predictions/{prediction_id}/feedback"


def predict(client, person, model_id=None, features=ROW) -> int:
    path = f"/api/v1/models/{model_id}/predict" if model_id else "/api/v1/predict"
    response = client.post(path, json={"features": features}, headers=person.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["prediction_id"]


@pytest.fixture
def prediction(client, alice) -> int:
    """Alice's prediction from the default (regression) model."""
    return predict(client, alice)


def test_first_feedback_is_created(client, alice, prediction):
    response = client.post(
        feedback_path(prediction),
        headers=alice.headers,
        json={"actual_value": 151.5, "score": 4, "comment": "close"},
    )

    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("prediction_id", "actual_value", "score", "comment")} == {
        "prediction_id": prediction,
        "actual_value": 151.5,
        "score": 4,
        "comment": "close",
    }
    assert isinstance(body["id"], int)
    assert body["created_at"].endswith("+00:00")


def test_second_feedback_replaces_the_first(client, alice, prediction):
    first = client.post(
        feedback_path(prediction),
        headers=alice.headers,
        json={"actual_value": 100, "score": 2, "comment": "far off"},
    )

    second = client.post(
        feedback_path(prediction), headers=alice.headers, json={"actual_value": 120}
    )

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["id"] == first.get_json()["id"]
    shown = client.get(f"/api/v1/predictions/{prediction}", headers=alice.headers).get_json()
    assert {k: shown["feedback"][k] for k in ("actual_value", "score", "comment")} == {
        "actual_value": 120,
        "score": None,
        "comment": None,
    }


def test_prediction_without_feedback_shows_null(client, alice, prediction):
    shown = client.get(f"/api/v1/predictions/{prediction}", headers=alice.headers).get_json()

    assert shown["feedback"] is None


@pytest.mark.parametrize("role", ["user", "admin"])
def test_only_the_owner_may_give_feedback(client, person, prediction, role):
    response = client.post(
        feedback_path(prediction), headers=person(role=role).headers, json={"actual_value": 100}
    )

    assert_problem(response, 403, "forbidden")


def test_feedback_on_a_missing_prediction_is_not_found(client, alice):
    response = client.post(feedback_path(987654), headers=alice.headers, json={"actual_value": 100})

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"actual_value": 1, "score": 0}, "score"),
        ({"actual_value": 1, "score": 6}, "score"),
        ({"actual_value": 1, "score": 2.5}, "score"),
        ({"actual_value": 1, "score": True}, "score"),
        ({"actual_value": 1, "comment": "x" * 1001}, "comment"),
        ({"actual_value": 1, "owner_id": 1}, "owner_id"),
        ({"score": 3}, "actual_value"),
        ({"actual_value": None}, "actual_value"),
        ({"actual_value": "high"}, "actual_value"),
        ({"actual_value": True}, "actual_value"),
        ({"actual_value": [1]}, "actual_value"),
    ],
    ids=[
        "score-0",
        "score-6",
        "score-fraction",
        "score-bool",
        "long-comment",
        "unknown-field",
        "no-actual",
        "null-actual",
        "word-for-regressor",
        "bool-for-regressor",
        "list-for-regressor",
    ],
)
def test_invalid_feedback_is_refused(client, alice, prediction, body, field):
    response = client.post(feedback_path(prediction), headers=alice.headers, json=body)

    assert field in assert_problem(response, 422, "validation_error")["errors"]


@pytest.mark.parametrize("score", [1, 5])
def test_score_bounds_are_inclusive(client, alice, prediction, score):
    response = client.post(
        feedback_path(prediction),
        headers=alice.headers,
        json={"actual_value": 1, "score": score, "comment": "x" * 1000},
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("actual", "status"), [(2, 201), (0, 201), (3, 422), ("2", 422), (2.5, 422), (True, 422)]
)
def test_classifier_feedback_must_be_one_of_its_classes(
    client, alice, stored_model, actual, status
):
    model_id = stored_model(alice, "iris", kind="classifier")
    prediction_id = predict(client, alice, model_id, FLOWER)

    response = client.post(
        feedback_path(prediction_id), headers=alice.headers, json={"actual_value": actual}
    )

    assert response.status_code == status, response.get_json()
    if status == 422:
        assert "0, 1, 2" in response.get_json()["errors"]["actual_value"][0]


def test_a_concurrent_first_feedback_is_replaced_not_an_error(
    app, client, alice, prediction, monkeypatch
):
    """Another request stores the first feedback between our read and our insert."""
    find, raced = feedback_service.find_prediction, []

    def find_then_race(prediction_id):
        found = find(prediction_id)
        if raced:
            return found
        raced.append(found.feedback)  # read as "no feedback yet", then the other one lands
        with db.engine.begin() as other:
            other.execute(
                Feedback.__table__.insert().values(
                    prediction_id=prediction_id,
                    actual_value=1,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
        return found

    monkeypatch.setattr(feedback_service, "find_prediction", find_then_race, raising=True)

    response = client.post(
        feedback_path(prediction), headers=alice.headers, json={"actual_value": 99}
    )

    assert raced == [None]
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        assert [f.actual_value for f in db.session.scalars(db.select(Feedback))] == [99]


@pytest.mark.parametrize(
    ("classes", "actual", "accepted"),
    [
        (None, "stayed", "stayed"),
        (None, 2, 2),
        (None, "", None),
        (None, [1], None),
        (["left", "stayed"], "left", "left"),
        (["left", "stayed"], 0, None),
        ([0, 1], 1.0, 1.0),
        ([0, 1], False, None),
    ],
)
def test_actual_value_for_a_classifier(classes, actual, accepted):
    record = SimpleNamespace(task="classification", classes=classes)

    if accepted is None:
        with pytest.raises(ValidationFailed):
            feedback_service.actual_value_for(record, actual)
    else:
        assert feedback_service.actual_value_for(record, actual) == accepted
