"""The model registry: upload, list, read, update and delete models."""

from flask import current_app, url_for
from flask.views import MethodView

from ..api import ApiBlueprint
from ..auth.credentials import current_caller
from ..database import MAX_ID
from ..document import LOCATION
from ..pagination import page_of
from . import service
from .schemas import MODEL_CHANGES_EXAMPLE, ModelChanges, ModelQuery, ModelRecord, UploadForm
from .upload import read_file, upload_model

blp = ApiBlueprint(
    "models",
    __name__,
    url_prefix="/api/v1",
    description="Upload, version, share and delete scikit-learn models.",
)


@blp.route("/models")
class Models(MethodView):
    @blp.doc(operationId="uploadModel")
    @blp.authenticated(budget="default")
    @blp.upload(UploadForm, limit_setting="MAX_MODEL_BYTES")
    @blp.response(201, ModelRecord, headers=LOCATION)
    @blp.problems(403, 409)
    def post(self, form):
        """Upload a model (the next version when you or the team already have that name)"""
        data = read_file(form.pop("file").stream, current_app.config["MAX_MODEL_BYTES"])
        record = upload_model(current_caller, data=data, **form)
        return record, 201, {"Location": url_for("models.ModelItem", model_id=record.id)}

    @blp.doc(operationId="listModels")
    @blp.authenticated(budget="default")
    @blp.arguments(ModelQuery, location="query")
    @blp.response(200, page_of(ModelRecord))
    def get(self, query):
        """Models you may use: yours, your teams', public ones and the default, newest first"""
        return service.list_models(current_caller, **query)


@blp.route(f"/models/<int(min=1, max={MAX_ID}):model_id>")
class ModelItem(MethodView):
    @blp.doc(operationId="getModel")
    @blp.authenticated(budget="default")
    @blp.response(200, ModelRecord)
    @blp.problems(403, 404)
    def get(self, model_id):
        """One model"""
        return service.get_model(current_caller, model_id, "view")

    @blp.doc(operationId="updateModel")
    @blp.authenticated(budget="default")
    @blp.path_object(lambda model_id: service.get_model(current_caller, model_id, "update"))
    @blp.arguments(ModelChanges, example=MODEL_CHANGES_EXAMPLE)
    @blp.response(200, ModelRecord)
    @blp.problems(403, 404, 409)
    def patch(self, changes, model_id):
        """Change a model's description or visibility, or move it into a team (owner,
        team maintainer or admin)"""
        return service.update_model(current_caller, model_id, changes)

    @blp.doc(operationId="deleteModel")
    @blp.authenticated(budget="default")
    @blp.response(204)
    @blp.problems(403, 404, 409)
    def delete(self, model_id):
        """Delete a model (owner, team maintainer or admin); its predictions stay in history"""
        service.delete_model(current_caller, model_id)
