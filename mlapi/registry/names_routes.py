"""Models by full name (``<user or team>/<name>``): their versions and aliases."""

import marshmallow as ma
from flask.views import MethodView

from ..api import ApiBlueprint
from ..auth.credentials import current_caller
from ..database import MAX_ID
from ..document import ResponseSchema
from . import names
from .schemas import ModelRecord

blp = ApiBlueprint(
    "names",
    __name__,
    url_prefix="/api/v1",
    description="Models by full name (`<user or team>/<name>`), and aliases for their versions.",
)

NAME = "/registry/<string(maxlength=32):owner>/<string(maxlength=100):name>"
ALIAS = f"{NAME}/aliases/<string(maxlength=64):alias>"
ALIAS_EXAMPLE = {"version": 1}


class ModelNameRecord(ResponseSchema):
    full_name = ma.fields.String(metadata={"example": "risk/churn"})
    versions = ma.fields.List(
        ma.fields.Nested(ModelRecord), metadata={"description": "Live versions, oldest first."}
    )
    aliases = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={
            "description": "Alias -> version; `latest` is always the newest live version.",
            "example": {"latest": 3, "production": 2},
        },
    )


class AliasTarget(ma.Schema):
    version = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=1, max=MAX_ID),
        metadata={"description": "A live version of the name."},
    )


class AliasRecord(ResponseSchema):
    alias = ma.fields.String(metadata={"example": "production"})
    version = ma.fields.Integer()
    model_id = ma.fields.Integer()


@blp.route(NAME)
class ModelName(MethodView):
    @blp.doc(operationId="getModelByName")
    @blp.authenticated(budget="default")
    @blp.response(200, ModelNameRecord)
    @blp.problems(404)
    def get(self, owner, name):
        """A model by full name: its live versions and aliases (404 unless you may see it)"""
        return names.describe(current_caller, owner, name)


@blp.route(ALIAS)
class ModelAlias(MethodView):
    @blp.doc(operationId="setModelAlias")
    @blp.authenticated(budget="default")
    @blp.path_object(
        lambda owner, name, alias: names.managed_name(current_caller, owner, name, alias)
    )
    @blp.arguments(AliasTarget, example=ALIAS_EXAMPLE)
    @blp.response(200, AliasRecord)
    @blp.problems(403, 404)
    def put(self, body, owner, name, alias):
        """Point an alias at a version (the model's managers; `latest` is reserved)"""
        return names.move_alias(current_caller, owner, name, alias, body["version"])

    @blp.doc(operationId="deleteModelAlias")
    @blp.authenticated(budget="default")
    @blp.response(204)
    @blp.problems(403, 404, 422)
    def delete(self, owner, name, alias):
        """Remove an alias (the model's managers)"""
        names.remove_alias(current_caller, owner, name, alias)
