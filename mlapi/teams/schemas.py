"""Request and response bodies of the team endpoints."""

import marshmallow as ma
from marshmallow import validate

from ..auth.schemas import NAME_RULE, UserRefSchema
from ..document import ResponseSchema
from ..timeutil import UTCDateTime
from .models import ROLE_MAINTAINER, ROLES

TEAM_EXAMPLE = {"name": "risk"}
MEMBER_EXAMPLE = {"role": ROLE_MAINTAINER}


class TeamRequest(ma.Schema):
    name = ma.fields.String(
        required=True,
        validate=NAME_RULE,
        metadata={
            "description": "Same rules as a username; no user or other team may have it, "
            "in any letter case.",
            "example": TEAM_EXAMPLE["name"],
        },
    )


class MemberRoleRequest(ma.Schema):
    role = ma.fields.String(
        required=True,
        validate=validate.OneOf(ROLES),
        metadata={"enum": list(ROLES), "example": MEMBER_EXAMPLE["role"]},
    )


class TeamMemberSchema(ResponseSchema):
    user = ma.fields.Nested(UserRefSchema)
    role = ma.fields.String(
        metadata={
            "enum": list(ROLES),
            "description": "Members use the team's models; maintainers also manage them "
            "and the team.",
        }
    )


class TeamSchema(ResponseSchema):
    id = ma.fields.Integer(metadata={"example": 3})
    name = ma.fields.String(metadata={"example": TEAM_EXAMPLE["name"]})
    created_at = UTCDateTime()
    members = ma.fields.List(
        ma.fields.Nested(TeamMemberSchema), metadata={"description": "By user id."}
    )
