"""Request and response bodies of the API key endpoints."""

import marshmallow as ma
from marshmallow import validate

from ..document import ResponseSchema
from ..timeutil import UTCDateTime

API_KEY_EXAMPLE = {"name": "nightly-scoring-job", "expires_in_days": 90}
ROTATION_EXAMPLE = {"grace_seconds": 3600}
MAX_GRACE_SECONDS = 86400  # a day: time enough to deploy the new key, short enough to matter


class ApiKeyRequest(ma.Schema):
    name = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"example": "nightly-scoring-job"},
    )
    expires_in_days = ma.fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=3650),
        metadata={"description": "Days until the key stops working; none: never.", "example": 90},
    )


class RotationRequest(ma.Schema):
    grace_seconds = ma.fields.Integer(
        strict=True,
        load_default=0,
        validate=validate.Range(min=0, max=MAX_GRACE_SECONDS),
        metadata={
            "description": "Seconds the old key keeps working (never past its own expiry); "
            "0, the default: it stops at once.",
            "example": 3600,
        },
    )


class ApiKeySchema(ResponseSchema):
    id = ma.fields.Integer(metadata={"example": 7})
    name = ma.fields.String(metadata={"example": "nightly-scoring-job"})
    prefix = ma.fields.String(
        metadata={
            "description": "The key's public start, to tell keys apart.",
            "example": "mlapi_3f9a0c1b2d4e",
        }
    )
    created_at = UTCDateTime()
    expires_at = UTCDateTime(allow_none=True)
    last_used_at = UTCDateTime(
        allow_none=True,
        metadata={"description": "When the key was last used (to the minute); none: never."},
    )
    replaced_by_id = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "The key a rotation replaced this one with (this one then works "
            "until its expires_at, the end of the grace period); none: not rotated.",
            "example": None,
        },
    )


class NewApiKeySchema(ApiKeySchema):
    key = ma.fields.String(
        metadata={
            "description": "The whole key, shown only in this response: send it as X-API-Key.",
            "example": "mlapi_3f9a0c1b2d4e_Yx8s...",
        }
    )
