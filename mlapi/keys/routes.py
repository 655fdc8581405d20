"""API keys: create, list and delete them (with a signed-in session, never with a key)."""

from flask.views import MethodView

from ..api import ApiBlueprint
from ..auth.credentials import current_caller
from ..database import MAX_ID
from ..pagination import PageQuery, page_of
from . import service
from .schemas import API_KEY_EXAMPLE, ApiKeyRequest, ApiKeySchema, NewApiKeySchema

blp = ApiBlueprint(
    "keys",
    __name__,
    url_prefix="/api/v1",
    description="API keys for scripts and services: each acts as its owner, "
    "except for managing sessions and keys.",
)


@blp.route("/auth/api-keys")
class ApiKeys(MethodView):
    @blp.doc(operationId="createApiKey")
    @blp.authenticated(budget="default", session_only=True)
    @blp.arguments(ApiKeyRequest, example=API_KEY_EXAMPLE)
    @blp.response(201, NewApiKeySchema)
    @blp.problems(409)
    def post(self, body):
        """Create an API key; its secret is shown in this response only"""
        key, raw = service.create_key(current_caller, **body)
        key.key = raw  # serialised once, never stored
        return key, 201

    @blp.doc(operationId="listApiKeys")
    @blp.authenticated(budget="default", session_only=True)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, page_of(ApiKeySchema))
    def get(self, query):
        """Your API keys, newest first, without their secrets"""
        return service.list_keys(current_caller, **query)


@blp.route(f"/auth/api-keys/<int(min=1, max={MAX_ID}):key_id>")
class ApiKeyItem(MethodView):
    @blp.doc(operationId="deleteApiKey")
    @blp.authenticated(budget="default", session_only=True)
    @blp.response(204)
    @blp.problems(404)
    def delete(self, key_id):
        """Delete an API key (yours; an admin may delete any): it stops working at once"""
        service.delete_key(current_caller, key_id)
