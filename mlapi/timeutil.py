"""UTC time, stored naive (SQLite keeps no zone) and returned as ISO 8601 with an offset."""

from datetime import UTC, datetime

from marshmallow import fields


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class UTCDateTime(fields.DateTime):
    """Serialises naive UTC datetimes as ``2026-11-26T12:00:00+00:00``."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)
