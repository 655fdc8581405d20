"""UTC time, stored naive (SQLite keeps no zone) and returned as ISO 8601 with an offset."""

from datetime import UTC, datetime

from marshmallow import fields


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(moment: datetime) -> datetime:
    """The stored form of an aware moment: UTC without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def iso_utc(stored: datetime | None) -> str | None:
    """A stored (naive UTC) moment as the API writes it: ``2026-11-26T12:00:00+00:00``."""
    return None if stored is None else stored.replace(tzinfo=UTC).isoformat()


def period_fields(things: str) -> tuple[fields.AwareDateTime, fields.AwareDateTime]:
    """The ``since`` (inclusive) and ``until`` (exclusive) query fields of a listing of
    ``things``: ISO 8601 with an offset, else 422."""
    since = fields.AwareDateTime(
        metadata={
            "description": f"{things} at or after this moment (ISO 8601 with an offset).",
            "example": "2026-12-01T00:00:00+00:00",
        }
    )
    until = fields.AwareDateTime(
        metadata={
            "description": f"{things} before this moment (ISO 8601 with an offset).",
            "example": "2026-12-08T00:00:00+00:00",
        }
    )
    return since, until


class UTCDateTime(fields.DateTime):
    """Serialises naive UTC datetimes as ``2026-11-26T12:00:00+00:00``."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)
