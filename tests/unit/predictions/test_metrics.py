"""GET /api/v1/models/{id}/metrics: volume, latency and error against feedback, for the
model's owner and admins."""

import math

import pytest
from sklearn.datasets import load_diabetes, load_iris

from mlapi.extensions import db
from mlapi.predictions.metrics import p95
from mlapi.predictions.models import Prediction
from tests.unit.helpers import assert_problem


def metrics_path(model_id: int) -> str:
    return f"/api/v1/models/{model_id}/metrics"


def ask(client, person, model_id, features) -> dict:
    response = client.post(
        f"/api/v1/models/{model_id}/predict", json={"features": features}, headers=person.headers
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def tell(client, person, prediction_id, actual) -> None:
    response = client.post(
        f"/api/v1/predictions/{prediction_id}/feedback",
        json={"actual_value": actual},
        headers=person.headers,
    )
    assert response.status_code == 201, response.get_json()


def stored_latencies(app, model_id) -> list[float]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(Prediction.latency_ms).where(Prediction.model_id == model_id)
            )
        )


def test_a_new_model_has_no_figures_yet(client, alice, stored_model):
    model_id = stored_model(alice, "sales")

    body = client.get(metrics_path(model_id), headers=alice.headers).get_json()

    assert body == {
        "model_id": model_id,
        "feedback_scope": "all",
        "prediction_count": 0,
        "feedback_count": 0,
        "mean_latency_ms": None,
        "p95_latency_ms": None,
        "mae": None,
        "metrics_note": None,
    }


def test_regressor_metrics_from_feedback(app, client, alice, stored_model):
    model_id = stored_model(alice, "sales")
    data = load_diabetes()
    answers = [ask(client, alice, model_id, data.data[i].tolist()) for i in range(4)]
    ask(client, alice, model_id, data.data[0].tolist())  # a cached repeat, no feedback
    for answer, i in zip(answers[:3], range(3), strict=True):
        tell(client, alice, answer["prediction_id"], float(data.target[i]))

    body = client.get(metrics_path(model_id), headers=alice.headers).get_json()

    errors = [abs(float(data.target[i]) - answers[i]["prediction"]) for i in range(3)]
    latencies = stored_latencies(app, model_id)
    assert (body["prediction_count"], body["feedback_count"]) == (5, 3)
    assert body["mae"] == pytest.approx(sum(errors) / 3)
    assert body["mean_latency_ms"] == pytest.approx(sum(latencies) / 5)
    assert body["p95_latency_ms"] == max(latencies)  # 5 values: the 95th is the largest
    assert "accuracy" not in body


def test_classifier_accuracy_from_feedback(client, alice, stored_model):
    model_id = stored_model(alice, "iris", kind="classifier")
    flowers = load_iris().data[[0, 50, 100, 1]].tolist()
    answers = [ask(client, alice, model_id, f) for f in flowers]
    truth = [
        answers[0]["prediction"],
        answers[1]["prediction"],
        (answers[2]["prediction"] + 1) % 3,
        (answers[3]["prediction"] + 1) % 3,
    ]
    for answer, actual in zip(answers, truth, strict=True):
        tell(client, alice, answer["prediction_id"], actual)

    body = client.get(metrics_path(model_id), headers=alice.headers).get_json()

    assert body["accuracy"] == 0.5
    assert (body["prediction_count"], body["feedback_count"]) == (4, 4)
    assert "mae" not in body


def test_metrics_count_only_this_models_predictions(client, alice, stored_model):
    first, second = stored_model(alice, "a"), stored_model(alice, "b")
    ask(client, alice, first, load_diabetes().data[0].tolist())

    body = client.get(metrics_path(second), headers=alice.headers).get_json()

    assert body["prediction_count"] == 0


@pytest.mark.parametrize(
    ("who", "visibility", "status"),
    [
        ("owner", "private", 200),
        ("admin", "private", 200),
        ("other", "private", 403),
        ("other", "public", 403),
    ],
)
def test_metrics_are_for_owner_and_admins(
    client, alice, person, stored_model, who, visibility, status
):
    model_id = stored_model(alice, visibility=visibility)
    headers = {"owner": alice, "admin": person(role="admin"), "other": person()}[who].headers

    response = client.get(metrics_path(model_id), headers=headers)

    assert response.status_code == status


def test_metrics_of_a_deleted_model_are_not_found(client, alice, stored_model):
    model_id = stored_model(alice, deleted=True)

    assert_problem(client.get(metrics_path(model_id), headers=alice.headers), 404, "not_found")


@pytest.mark.parametrize("count", [1, 2, 19, 20, 21, 100])
def test_p95_is_the_nearest_rank(count):
    values = [float(v) for v in range(count, 0, -1)]  # count .. 1, unsorted on purpose

    assert p95(values) == math.ceil(0.95 * count)


def test_p95_of_nothing_is_none():
    assert p95([]) is None
