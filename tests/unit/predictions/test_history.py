"""GET /api/v1/predictions and /predictions/{id}: your own history, newest first, paginated."""

from datetime import datetime, timedelta

import pytest

from mlapi.extensions import db
from mlapi.predictions.models import Prediction
from mlapi.registry.service import default_model
from tests.unit.helpers import ROW, assert_problem

HISTORY = "/api/v1/predictions"
T0 = datetime(2026, 1, 1, 12, 0, 0)


def add_predictions(app, owner_id: int, stamps: list[datetime]) -> list[int]:
    """History records made at the given times (UTC), in this order of id; their ids."""
    with app.app_context():
        model = default_model()
        records = [
            Prediction(
                owner_id=owner_id,
                model_id=model.id,
                model_name=model.name,
                model_version=model.version,
                features=ROW,
                prediction=float(i),
                cached=False,
                latency_ms=1.0,
                created_at=stamp,
            )
            for i, stamp in enumerate(stamps)
        ]
        db.session.add_all(records)
        db.session.commit()
        return [r.id for r in records]


def listed_ids(client, headers, query: str = "") -> list[int]:
    response = client.get(f"{HISTORY}{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_history_lists_newest_first_whatever_the_id_order(app, client, user, auth_headers):
    first, second, third = add_predictions(
        app, user.id, [T0 + timedelta(seconds=2), T0, T0 + timedelta(seconds=1)]
    )

    assert listed_ids(client, auth_headers) == [first, third, second]


def test_history_breaks_ties_in_time_by_id_descending(app, client, user, auth_headers):
    ids = add_predictions(app, user.id, [T0, T0, T0])

    assert listed_ids(client, auth_headers) == sorted(ids, reverse=True)


def test_history_record_fields(client, auth_headers):
    client.post("/api/v1/predict", json={"features": ROW}, headers=auth_headers)

    [item] = client.get(HISTORY, headers=auth_headers).get_json()["items"]

    assert set(item) == {
        "id",
        "model_id",
        "model_name",
        "model_version",
        "features",
        "prediction",
        "cached",
        "latency_ms",
        "created_at",
    }
    assert item["features"] == ROW
    assert datetime.fromisoformat(item["created_at"]).utcoffset() == timedelta(0)


def test_history_shows_only_the_callers_own_predictions(app, client, user, auth_headers, make_user):
    other = make_user()
    add_predictions(app, other.id, [T0, T0])
    mine = add_predictions(app, user.id, [T0])

    assert listed_ids(client, auth_headers) == mine


def test_history_filters_by_model(app, client, user, auth_headers):
    ids = add_predictions(app, user.id, [T0, T0])
    with app.app_context():
        model_id = default_model().id

    assert sorted(listed_ids(client, auth_headers, f"?model_id={model_id}")) == sorted(ids)
    assert listed_ids(client, auth_headers, f"?model_id={model_id + 1000}") == []


@pytest.mark.parametrize(
    ("query", "page", "per_page", "count"),
    [
        ("", 1, 20, 5),
        ("?per_page=2", 1, 2, 2),
        ("?page=3&per_page=2", 3, 2, 1),
        ("?page=4&per_page=2", 4, 2, 0),
        ("?page=99999999999999999999", 99999999999999999999, 20, 0),
    ],
)
def test_history_page_envelope(app, client, user, auth_headers, query, page, per_page, count):
    add_predictions(app, user.id, [T0 + timedelta(seconds=s) for s in range(5)])

    body = client.get(f"{HISTORY}{query}", headers=auth_headers).get_json()

    assert set(body) == {"items", "page", "per_page", "total", "pages"}
    assert (body["page"], body["per_page"], body["total"]) == (page, per_page, 5)
    assert body["pages"] == -(-5 // per_page)
    assert len(body["items"]) == count


def test_pages_walk_the_history_without_gaps_or_repeats(app, client, user, auth_headers):
    ids = add_predictions(app, user.id, [T0, T0, T0 + timedelta(seconds=1), T0, T0])

    walked = [
        i
        for page in (1, 2, 3)
        for i in listed_ids(client, auth_headers, f"?page={page}&per_page=2")
    ]

    assert walked == listed_ids(client, auth_headers, "?per_page=100")
    assert sorted(walked) == sorted(ids)


def test_empty_history(client, auth_headers):
    body = client.get(HISTORY, headers=auth_headers).get_json()

    assert body == {"items": [], "page": 1, "per_page": 20, "total": 0, "pages": 0}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?page=0", "page"),
        ("?page=-1", "page"),
        ("?page=abc", "page"),
        ("?per_page=0", "per_page"),
        ("?per_page=101", "per_page"),
        ("?per_page=1.5", "per_page"),
        ("?model_id=0", "model_id"),
        ("?model_id=99999999999999999999", "model_id"),
    ],
)
def test_out_of_range_paging_or_filter_is_refused(client, auth_headers, query, field):
    response = client.get(f"{HISTORY}{query}", headers=auth_headers)

    assert field in assert_problem(response, 422, "validation_error")["errors"]


def test_history_needs_credentials(client):
    assert_problem(client.get(HISTORY), 401, "unauthorized")


def test_owner_reads_one_prediction(app, client, user, auth_headers):
    [prediction_id] = add_predictions(app, user.id, [T0])

    response = client.get(f"{HISTORY}/{prediction_id}", headers=auth_headers)

    assert response.status_code == 200
    assert response.get_json()["id"] == prediction_id
    assert response.get_json()["created_at"] == "2026-01-01T12:00:00+00:00"


def test_another_users_prediction_is_forbidden(app, client, make_user, auth_headers):
    [theirs] = add_predictions(app, make_user().id, [T0])

    assert_problem(client.get(f"{HISTORY}/{theirs}", headers=auth_headers), 403, "forbidden")


def test_admin_may_read_another_users_prediction(app, client, make_user, sign_in):
    [theirs] = add_predictions(app, make_user().id, [T0])
    admin = sign_in(make_user(role="admin"))

    response = client.get(f"{HISTORY}/{theirs}", headers=admin.headers)

    assert response.status_code == 200
    assert response.get_json()["id"] == theirs


def test_missing_prediction_is_not_found(app, client, user, auth_headers):
    [existing] = add_predictions(app, user.id, [T0])

    response = client.get(f"{HISTORY}/{existing + 1}", headers=auth_headers)

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    "prediction_id", ["abc", "1.5", "-1", "0", "1e3", "%20", "99999999999999999999"]
)
def test_non_integer_or_impossible_id_is_not_found(client, auth_headers, prediction_id):
    response = client.get(f"{HISTORY}/{prediction_id}", headers=auth_headers)

    assert_problem(response, 404, "not_found")
