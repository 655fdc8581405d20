"""History rows for the export tests, written in bulk with SQL (not through the API), and
the exported file read back."""

import csv
import io
import json
from datetime import datetime

from sqlalchemy import insert

from mlapi.extensions import db
from mlapi.predictions.models import Feedback, Prediction
from mlapi.registry.service import default_model
from tests.unit.helpers import ROW

EXPORT = "/api/v1/predictions/export"
T0 = datetime(2026, 1, 1, 12, 0, 0)


def add_rows(app, owner_id: int, stamps: list[datetime], **values) -> list[int]:
    """History records of the default model made at ``stamps`` (naive UTC), ids in this
    order; ``values`` overrides columns of every row (``model_id``, ``model_name``…)."""
    with app.app_context():
        model = default_model()
        base = {
            "owner_id": owner_id,
            "model_id": model.id,
            "model_name": model.name,
            "model_version": model.version,
            "features": ROW,
            "probabilities": None,
            "cached": False,
            "latency_ms": 1.5,
            **values,
        }
        rows = [
            {"prediction": float(i), "created_at": stamp, **base} for i, stamp in enumerate(stamps)
        ]
        returning = insert(Prediction).returning(Prediction.id, sort_by_parameter_order=True)
        ids = db.session.scalars(returning, rows).all()
        db.session.commit()
        return list(ids)


def add_feedback(app, prediction_id: int, actual_value, at: datetime) -> None:
    with app.app_context():
        db.session.execute(
            insert(Feedback).values(
                prediction_id=prediction_id, actual_value=actual_value, created_at=at, updated_at=at
            )
        )
        db.session.commit()


def csv_records(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


def jsonl_records(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def exported_ids(client, headers, query: str = "") -> list[int]:
    """The prediction ids of the CSV export, in the file's order."""
    response = client.get(f"{EXPORT}{query}", headers=headers)
    return [int(record["prediction_id"]) for record in csv_records(response)]
