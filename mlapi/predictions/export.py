"""The caller's own prediction history, with their feedback, as one CSV or JSON Lines file.

Streamed in constant memory: the rows are read in batches by keyset pagination on
``(created_at, id)``, newest first, along the index ``ix_predictions_owner_created``; each
batch is one short transaction on a pooled connection, returned before the batch is written
out, so no snapshot is held and no connection sits idle in a transaction while a slow client
reads. The rows are plain tuples (a Core select, no ORM objects to expunge) and are dropped
with their batch.

A failure after the first bytes cannot become a problem+json any more: it is logged and
raised again, and the server (gunicorn) then closes the connection without the chunked
encoding's last, empty chunk, so a client never takes a truncated file for a complete one
(docs/decisions.md, "Exporting history").
"""

import csv
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import marshmallow as ma
from flask import Response, g, stream_with_context
from marshmallow import validate
from sqlalchemy import and_, or_, select

from ..database import MAX_ID
from ..extensions import db
from ..timeutil import iso_utc, naive_utc, period_fields
from .models import Feedback, Prediction

log = logging.getLogger("mlapi.predictions.export")

BATCH_SIZE = 1000
COLUMNS = (
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
)
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
# A spreadsheet takes a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportQuery(ma.Schema):
    format = ma.fields.String(
        load_default="csv",
        validate=validate.OneOf(tuple(FORMATS)),
        metadata={
            "enum": list(FORMATS),
            "description": "`csv` (a header row, then one row per prediction) or `jsonl` "
            "(one JSON object per line).",
        },
    )
    model_id = ma.fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Only predictions of this model."},
    )
    since, until = period_fields("Predictions made")


_SELECTED = (
    Prediction.id,
    Prediction.created_at,
    Prediction.model_id,
    Prediction.model_name,
    Prediction.model_version,
    Prediction.features,
    Prediction.prediction,
    Prediction.probabilities,
    Prediction.cached,
    Prediction.latency_ms,
    Feedback.actual_value,
    Feedback.updated_at,  # when the feedback was last given (a second one replaces it)
)


def _filters(owner_id: int, model_id=None, since=None, until=None) -> list:
    """The owner's rows only, as ``GET /predictions``: a ``model_id`` narrows them, and a
    model the caller may not see simply has none of their rows (``service.history``)."""
    where = [Prediction.owner_id == owner_id]
    if model_id is not None:
        where.append(Prediction.model_id == model_id)
    if since is not None:
        where.append(Prediction.created_at >= naive_utc(since))
    if until is not None:
        where.append(Prediction.created_at < naive_utc(until))
    return where


def _after(created_at: datetime, prediction_id: int):
    """Older than the last row written, in ``(created_at desc, id desc)`` order. The
    first term bounds the index range; the second breaks ties in time by id."""
    return and_(
        Prediction.created_at <= created_at,
        or_(Prediction.created_at < created_at, Prediction.id < prediction_id),
    )


def batches(owner_id: int, batch_size: int = BATCH_SIZE, **filters) -> Iterator[list[tuple]]:
    """The matching rows, newest first, ``batch_size`` at a time; each fetch is its own
    transaction on a connection given back to the pool at once."""
    where = _filters(owner_id, **filters)
    stmt = (
        select(*_SELECTED)
        .outerjoin(Feedback, Feedback.prediction_id == Prediction.id)
        .order_by(Prediction.created_at.desc(), Prediction.id.desc())
        .limit(batch_size)
    )
    last = None
    while True:
        page = stmt.where(*where, *([] if last is None else [_after(*last)]))
        with db.engine.connect() as connection:  # ends (rolls back) the read transaction
            rows = connection.execute(page).all()
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        last = (rows[-1][1], rows[-1][0])


def _compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _text_cell(text: str) -> str:
    """A text cell that cannot run as a formula: a leading ``'``, as OWASP advises."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _value_cell(value) -> str:
    """A prediction or actual value: a label as its text, a number as JSON writes it, a
    list (several outputs) as compact JSON; empty for null."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _text_cell(value)
    return _compact(value)


def csv_row(row: tuple) -> list[str]:
    (pid, created, model_id, name, version, features, prediction, probabilities, cached,
     latency, actual, feedback_at) = row  # fmt: skip
    return [
        str(pid),
        iso_utc(created),
        str(model_id),
        _text_cell(name),
        str(version),
        _compact(features),
        _value_cell(prediction),
        "" if probabilities is None else _compact(probabilities),
        "true" if cached else "false",
        repr(float(latency)),
        _value_cell(actual),
        iso_utc(feedback_at) or "",
    ]


def json_line(row: tuple) -> str:
    """One object on one line, in ASCII (other characters escaped): no character of a
    value (U+2028, a stray CR) can be taken for a line break by a reader."""
    record = dict(zip(COLUMNS, row, strict=True))
    record["created_at"] = iso_utc(record["created_at"])
    record["feedback_at"] = iso_utc(record["feedback_at"])
    record["cached"] = bool(record["cached"])
    return json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n"


def _csv_chunk(rows: list[tuple], header: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180: quoted as needed, CRLF line ends
    if header:
        writer.writerow(COLUMNS)
    writer.writerows(csv_row(row) for row in rows)
    return out.getvalue().encode()


def chunks(owner_id: int, fmt: str, **filters) -> Iterator[bytes]:
    """The file's bytes, one chunk per batch (the CSV header alone when nothing matches).
    A failure part-way is logged, then raised again to abort the response."""
    written = 0
    # The request's own transaction (authentication's reads) ends before the long part:
    # here, after the after-request hooks, which could open another.
    db.session.close()
    try:
        if fmt == "csv":
            yield _csv_chunk([], header=True)
        for rows in batches(owner_id, **filters):
            if fmt == "csv":
                yield _csv_chunk(rows, header=False)
            else:
                yield "".join(json_line(row) for row in rows).encode()
            written += len(rows)
    except Exception as error:
        # The class only: a database error's text can carry the statement's values.
        log.error(
            "prediction export aborted after %d rows: %s",
            written,
            type(error).__name__,
            extra={"request_id": g.get("request_id"), "user_id": owner_id, "rows": written},
        )
        raise


def export_response(owner_id: int, fmt: str, **filters) -> Response:
    """The streamed file, as an attachment named for today's date (UTC)."""
    today = datetime.now(UTC).date().isoformat()
    response = Response(
        stream_with_context(chunks(owner_id, fmt, **filters)),
        status=200,
        content_type=FORMATS[fmt],
    )
    response.headers["Content-Disposition"] = f'attachment; filename="predictions-{today}.{fmt}"'
    return response


_FILE_EXAMPLES = {
    "text/csv": ",".join(COLUMNS)
    + "\r\n"
    + '42,2026-12-01T09:30:00+00:00,1,diabetes,1,"[0.038,0.051]",151.0,,false,0.42,'
    "148.0,2026-12-02T10:00:00+00:00\r\n",
    "application/x-ndjson": '{"prediction_id":42,"created_at":"2026-12-01T09:30:00+00:00",'
    '"model_id":1,"model_name":"diabetes","model_version":1,"features":[0.038,0.051],'
    '"prediction":151.0,"probabilities":null,"cached":false,"latency_ms":0.42,'
    '"feedback_actual":148.0,"feedback_at":"2026-12-02T10:00:00+00:00"}\n',
}
DOCUMENTED_FILE = {
    "200": {
        "description": "The file, streamed (chunked). Columns (CSV) or keys (JSON Lines), in "
        f"this order: {', '.join(COLUMNS)}. Timestamps are ISO 8601 UTC; `feedback_at` is "
        "when your feedback was last given. In CSV, lists and objects are compact JSON, "
        "null is an empty cell, and a text cell starting with =, +, -, @, a tab or a "
        "carriage return gets a leading `'` so a spreadsheet shows it as text.",
        "headers": {
            "Content-Disposition": {
                "description": 'Always `attachment; filename="predictions-<UTC date>.csv"` '
                "(`.jsonl` for JSON Lines).",
                "required": True,
                "schema": {"type": "string"},
            }
        },
        "content": {
            media: {"schema": {"type": "string"}, "example": example}
            for media, example in _FILE_EXAMPLES.items()
        },
    }
}
