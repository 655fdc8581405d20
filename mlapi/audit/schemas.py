"""The audit endpoints' filters and the record they answer with."""

import marshmallow as ma
from marshmallow import validate

from ..database import MAX_ID
from ..document import ResponseSchema
from ..pagination import PageQuery
from ..timeutil import UTCDateTime, period_fields
from .models import ACTOR_CLI, ACTOR_SYSTEM, ACTOR_USER, TARGET_TYPES

_ID = {"validate": validate.Range(min=1, max=MAX_ID)}


class AuditQuery(PageQuery):
    """Filters of the admin's view; each narrows the events, together they all hold."""

    actor = ma.fields.Integer(**_ID, metadata={"description": "The acting user's id."})
    action = ma.fields.String(
        validate=validate.Length(min=1, max=40), metadata={"example": "user.role_changed"}
    )
    target_type = ma.fields.String(
        validate=validate.OneOf(TARGET_TYPES), metadata={"enum": list(TARGET_TYPES)}
    )
    target_id = ma.fields.Integer(**_ID)
    since, until = period_fields("Events")


class AuditActorSchema(ResponseSchema):
    kind = ma.fields.String(
        metadata={
            "enum": [ACTOR_USER, ACTOR_CLI, ACTOR_SYSTEM],
            "description": "A signed-in user, a command of the operator, or the service itself.",
        }
    )
    id = ma.fields.Integer(allow_none=True)
    username = ma.fields.String(allow_none=True)
    api_key_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The API key the request presented, if any."}
    )


class AuditTargetSchema(ResponseSchema):
    type = ma.fields.String(metadata={"enum": list(TARGET_TYPES)})
    id = ma.fields.Integer(allow_none=True)


class AuditEventSchema(ResponseSchema):
    id = ma.fields.Integer(metadata={"example": 42})
    at = UTCDateTime()
    actor = ma.fields.Nested(AuditActorSchema)
    action = ma.fields.String(metadata={"example": "user.role_changed"})
    target = ma.fields.Nested(AuditTargetSchema)
    details = ma.fields.Dict(
        metadata={"description": "What changed; the keys of each action are in docs/audit.md."}
    )
    request_id = ma.fields.String(
        allow_none=True, metadata={"description": "The X-Request-ID of the change's request."}
    )
