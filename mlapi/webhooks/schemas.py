"""Request and response bodies of the webhook endpoints."""

import marshmallow as ma
from marshmallow import validate

from ..document import ResponseSchema
from ..pagination import PageQuery
from ..registry.schemas import Owner
from ..timeutil import UTCDateTime
from .models import EVENTS

MAX_URL = 2048
# A public address written as such, which the address check accepts with no DNS lookup (a
# host name that does not resolve where the server runs is refused: example.com was, on a
# host with no DNS). It is an address example.com had; put your receiver's URL in its place.
WEBHOOK_EXAMPLE = {
    "url": "https://93.184.215.14/mlapi-hook",
    "events": ["model.created", "prediction.feedback"],
    "name": "team chat",
}


class WebhookRequest(ma.Schema):
    url = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_URL),
        metadata={
            "description": "An http(s) URL on a public address.",
            "example": WEBHOOK_EXAMPLE["url"],
        },
    )
    events = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(EVENTS, error="Must be one of: {choices}.")),
        required=True,
        validate=validate.Length(min=1, max=len(EVENTS) * 2),
        metadata={"description": "What to be told about.", "example": WEBHOOK_EXAMPLE["events"]},
    )
    name = ma.fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=100),
        metadata={"example": WEBHOOK_EXAMPLE["name"]},
    )


class WebhookQuery(PageQuery):
    owner = ma.fields.String(
        validate=validate.OneOf(["me"]),
        metadata={"description": "`me`: only your own hooks (an admin's list holds everyone's)."},
    )


class WebhookSchema(ResponseSchema):
    id = ma.fields.Integer(metadata={"example": 3})
    name = ma.fields.String(allow_none=True)
    url = ma.fields.String()
    events = ma.fields.List(ma.fields.String(metadata={"enum": list(EVENTS)}))
    owner = ma.fields.Nested(Owner)
    created_at = UTCDateTime()


class NewWebhookSchema(WebhookSchema):
    secret = ma.fields.String(
        metadata={
            "description": "Signs every delivery (X-MLAPI-Signature); shown in this response only.",
            "example": "whsec_Yx8s...",
        }
    )


class AttemptSchema(ResponseSchema):
    id = ma.fields.Integer()
    delivery_id = ma.fields.Integer(
        metadata={"description": "The delivery (X-MLAPI-Delivery) this attempt belongs to."}
    )
    event = ma.fields.String(metadata={"enum": list(EVENTS)})
    attempt = ma.fields.Integer(metadata={"description": "1 for the first try."})
    status_code = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "The receiver's status; null when no answer came."},
    )
    duration_ms = ma.fields.Integer()
    error = ma.fields.String(allow_none=True)
    created_at = UTCDateTime()
