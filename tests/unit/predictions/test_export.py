"""GET /api/v1/predictions/export: the caller's own history and feedback as one file."""

import json
import re
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

from tests.unit.helpers import ROW, assert_problem

from .export_rows import (
    EXPORT,
    T0,
    add_feedback,
    add_rows,
    csv_records,
    exported_ids,
    jsonl_records,
)

COLUMNS = [
    "prediction_id",
    "created_at",
    "model_id",
    "model_name",
    "model_version",
    "features",
    "prediction",
    "probabilities",
    "cached",
    "latency_ms",
    "feedback_actual",
    "feedback_at",
]


def q(moment: str) -> str:
    return quote(moment, safe="")


def test_csv_has_the_columns_in_order_with_feedback_filled(client, auth_headers):
    made = client.post("/api/v1/predict", json={"features": ROW}, headers=auth_headers)
    given = client.post(
        f"/api/v1/predictions/{made.get_json()['prediction_id']}/feedback",
        json={"actual_value": 140.5},
        headers=auth_headers,
    )
    assert given.status_code == 201

    response = client.get(EXPORT, headers=auth_headers)

    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="predictions-\d{4}-\d{2}-\d{2}\.csv"',
        response.headers["Content-Disposition"],
    )
    assert response.headers["X-Request-ID"]
    assert response.get_data(as_text=True).splitlines()[0] == ",".join(COLUMNS)
    [record] = csv_records(response)
    assert int(record["prediction_id"]) == made.get_json()["prediction_id"]
    assert json.loads(record["features"]) == ROW
    assert float(record["prediction"]) == pytest.approx(made.get_json()["prediction"])
    assert record["probabilities"] == ""
    assert record["cached"] == "false"
    assert float(record["latency_ms"]) >= 0
    assert float(record["feedback_actual"]) == 140.5
    for stamp in (record["created_at"], record["feedback_at"]):
        assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0)


def test_jsonl_has_one_object_per_line_with_the_same_keys(app, client, user, auth_headers):
    [first, second] = add_rows(
        app, user.id, [T0, T0 + timedelta(seconds=1)], probabilities={"a": 0.25, "b": 0.75}
    )
    add_feedback(app, first, "a", T0 + timedelta(days=1))

    response = client.get(f"{EXPORT}?format=jsonl", headers=auth_headers)

    assert response.headers["Content-Type"] == "application/x-ndjson"
    assert response.headers["Content-Disposition"].endswith('.jsonl"')
    newest, oldest = jsonl_records(response)
    assert list(newest) == COLUMNS
    assert [newest["prediction_id"], oldest["prediction_id"]] == [second, first]
    assert newest["feedback_actual"] is None
    assert newest["feedback_at"] is None
    assert oldest["feedback_actual"] == "a"
    assert oldest["feedback_at"] == "2026-01-02T12:00:00+00:00"
    assert oldest["created_at"] == "2026-01-01T12:00:00+00:00"
    assert oldest["features"] == ROW
    assert oldest["probabilities"] == {"a": 0.25, "b": 0.75}
    assert oldest["cached"] is False


def test_newest_first_ties_by_id_descending(app, client, user, auth_headers):
    a, b, c, d = add_rows(app, user.id, [T0 + timedelta(seconds=2), T0, T0, T0 + timedelta(1)])

    assert exported_ids(client, auth_headers) == [d, a, c, b]


def test_batches_follow_one_another_without_gaps_or_repeats(app, client, user, auth_headers):
    """More rows than one batch, many made at the same moment across the batches' edges."""
    stamps = [T0 + timedelta(seconds=i // 700) for i in range(2500)]
    ids = add_rows(app, user.id, stamps)

    expected = sorted(zip(stamps, ids, strict=True), reverse=True)
    assert exported_ids(client, auth_headers) == [i for _, i in expected]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_empty_history_is_a_header_row_or_an_empty_file(client, auth_headers, fmt):
    response = client.get(f"{EXPORT}?format={fmt}", headers=auth_headers)

    assert response.status_code == 200
    expected = ",".join(COLUMNS) + "\r\n" if fmt == "csv" else ""
    assert response.get_data(as_text=True) == expected


def test_another_users_rows_never_appear(app, client, user, auth_headers, make_user):
    mine = add_rows(app, user.id, [T0])
    add_rows(app, make_user().id, [T0 + timedelta(seconds=1)])

    assert exported_ids(client, auth_headers) == mine


def test_an_administrator_exports_only_their_own(app, client, user, admin, admin_headers):
    add_rows(app, user.id, [T0])
    theirs = add_rows(app, admin.id, [T0 + timedelta(seconds=1)])

    assert exported_ids(client, admin_headers) == theirs


def test_an_api_key_exports_its_owners_history(app, client, user, auth_headers):
    mine = add_rows(app, user.id, [T0])
    created = client.post("/api/v1/auth/api-keys", json={"name": "nightly"}, headers=auth_headers)

    assert exported_ids(client, {"X-API-Key": created.get_json()["key"]}) == mine


def test_export_needs_credentials(client):
    assert_problem(client.get(EXPORT), 401, "unauthorized")


def test_model_filter(app, client, user, auth_headers, stored_model, alice):
    other_model = stored_model(alice, "churn", visibility="public")
    [default] = add_rows(app, user.id, [T0])
    [other] = add_rows(app, user.id, [T0], model_id=other_model, model_name="churn")

    assert exported_ids(client, auth_headers, f"?model_id={other_model}") == [other]
    assert default not in exported_ids(client, auth_headers, f"?model_id={other_model}")


def test_a_model_one_may_not_see_gives_an_empty_file_as_history_does(
    app, client, user, auth_headers, stored_model, alice
):
    private = stored_model(alice, "secret")
    add_rows(app, user.id, [T0])

    assert exported_ids(client, auth_headers, f"?model_id={private}") == []
    listed = client.get(f"/api/v1/predictions?model_id={private}", headers=auth_headers)
    assert listed.get_json()["items"] == []


def test_since_is_inclusive_and_until_exclusive(app, client, user, auth_headers):
    _before, at_since, inside, _at_until = add_rows(
        app, user.id, [T0 - timedelta(seconds=1), T0, T0 + timedelta(hours=1), T0 + timedelta(1)]
    )
    query = f"?since={q('2026-01-01T12:00:00Z')}&until={q('2026-01-02T12:00:00+00:00')}"

    assert exported_ids(client, auth_headers, query) == [inside, at_since]


def test_offsets_are_honoured(app, client, user, auth_headers):
    """13:00 at +01:00 is 12:00 UTC."""
    early, late = add_rows(app, user.id, [T0 - timedelta(minutes=1), T0])

    assert exported_ids(client, auth_headers, f"?since={q('2026-01-01T13:00:00+01:00')}") == [late]
    assert exported_ids(client, auth_headers, f"?until={q('2026-01-01T13:00:00+01:00')}") == [early]


def test_since_at_or_after_until_is_an_empty_file(app, client, user, auth_headers):
    add_rows(app, user.id, [T0])
    query = f"?since={q('2026-01-02T00:00:00Z')}&until={q('2026-01-01T00:00:00Z')}"

    assert exported_ids(client, auth_headers, query) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?since=2026-01-01T12:00:00", "since"),
        ("?until=2026-01-01", "until"),
        ("?since=yesterday", "since"),
        ("?format=xlsx", "format"),
        ("?model_id=0", "model_id"),
    ],
)
def test_bad_filters_are_refused(client, auth_headers, query, field):
    body = assert_problem(
        client.get(f"{EXPORT}{query}", headers=auth_headers), 422, "validation_error"
    )

    assert field in json.dumps(body["errors"])


def test_text_that_a_spreadsheet_would_run_is_defused_in_csv_only(app, client, user, auth_headers):
    [made] = add_rows(app, user.id, [T0], model_name="=HYPERLINK(1)")
    add_feedback(app, made, "@SUM(A1)", T0)

    [record] = csv_records(client.get(EXPORT, headers=auth_headers))
    [line] = jsonl_records(client.get(f"{EXPORT}?format=jsonl", headers=auth_headers))

    assert record["model_name"] == "'=HYPERLINK(1)"
    assert record["feedback_actual"] == "'@SUM(A1)"
    assert record["features"].startswith("[")
    assert line["model_name"] == "=HYPERLINK(1)"
    assert line["feedback_actual"] == "@SUM(A1)"


def test_a_label_with_a_line_separator_stays_on_its_line_in_jsonl(app, client, user, auth_headers):
    [made] = add_rows(app, user.id, [T0], model_name="caf\u00e9")
    add_feedback(app, made, "up\u2028down", T0)

    body = client.get(f"{EXPORT}?format=jsonl", headers=auth_headers).get_data()

    assert body.count(b"\n") == 1
    assert body.isascii()
    [line] = jsonl_records(client.get(f"{EXPORT}?format=jsonl", headers=auth_headers))
    assert line["feedback_actual"] == "up\u2028down"
    assert line["model_name"] == "caf\u00e9"
