"""Request and response bodies of the admin endpoints."""

import marshmallow as ma
from marshmallow import validate

from ..auth.models import ROLE_ADMIN, ROLE_USER
from ..database import MAX_ID
from ..document import ResponseSchema

USER_UPDATE_EXAMPLE = {"role": ROLE_ADMIN, "is_active": True}
# On a fresh install, model 1 is the built-in model (the default already: choosing it again
# changes nothing); upload a public model and put its id here to switch.
DEFAULT_MODEL_EXAMPLE = {"model_id": 1}


class StrictBoolean(ma.fields.Boolean):
    """JSON ``true`` or ``false`` only: ``"yes"``, ``1`` and ``"true"`` are refused."""

    default_error_messages = {"invalid": "Not a boolean: send true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class UserUpdate(ma.Schema):
    DOCUMENT_KEYWORDS = {"minProperties": 1}  # ``something_to_change``

    is_active = StrictBoolean(
        metadata={
            "description": "false deactivates the account at "
            "once: its tokens stop working on the next request."
        }
    )
    role = ma.fields.String(
        validate=validate.OneOf([ROLE_USER, ROLE_ADMIN]), metadata={"enum": [ROLE_USER, ROLE_ADMIN]}
    )

    @ma.validates_schema
    def something_to_change(self, data, **_kwargs):
        if not data:
            raise ma.ValidationError("Send 'is_active', 'role' or both.")


class DefaultModelChoice(ma.Schema):
    model_id = ma.fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"example": DEFAULT_MODEL_EXAMPLE["model_id"]},
    )


class EndpointFiguresSchema(ResponseSchema):
    method = ma.fields.String(metadata={"example": "POST"})
    endpoint = ma.fields.String(metadata={"example": "/api/v1/predict"})
    count = ma.fields.Integer(metadata={"description": "Requests answered since start."})
    p95_ms = ma.fields.Float(metadata={"description": "95th percentile duration, ms."})


class StatsSchema(ResponseSchema):
    users = ma.fields.Integer(metadata={"description": "Accounts (the system account aside)."})
    models = ma.fields.Integer(metadata={"description": "Live models (deleted ones aside)."})
    predictions = ma.fields.Integer(metadata={"description": "Predictions ever recorded."})
    endpoints = ma.fields.List(
        ma.fields.Nested(EndpointFiguresSchema),
        metadata={
            "description": "Per endpoint, since start: under gunicorn summed over every worker "
            "of the host (p95 estimated from the latency histogram), otherwise "
            "those of the answering process."
        },
    )
