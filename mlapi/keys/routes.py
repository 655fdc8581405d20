"""API keys: create, list, rotate and delete them (with a signed-in session, never with a key)."""

from flask.views import MethodView

from ..api import ApiBlueprint
from ..auth.credentials import current_caller
from ..database import MAX_ID
from ..pagination import PageQuery, page_of
from . import service
from .schemas import (
    API_KEY_EXAMPLE,
    ROTATION_EXAMPLE,
    ApiKeyRequest,
    ApiKeySchema,
    NewApiKeySchema,
    RotationRequest,
)

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


@blp.route(f"/auth/api-keys/<int(min=1, max={MAX_ID}):key_id>/rotate")
class ApiKeyRotation(MethodView):
    @blp.doc(operationId="rotateApiKey")
    @blp.authenticated(budget="default", session_only=True)
    @blp.path_object(lambda key_id: service.find_key(current_caller, key_id, "rotate"))
    @blp.arguments(RotationRequest, required=False, example=ROTATION_EXAMPLE)
    @blp.response(201, NewApiKeySchema)
    @blp.problems(404, 409)
    def post(self, body, key_id):
        """Replace an API key with a new one; the old one works on for a grace period

        The new key has the old one's name and expiry; its secret is shown in this response
        only. The old key stays listed, its `replaced_by_id` naming the new one, and answers
        until `grace_seconds` (default 0: at once; never past its own expiry) have passed,
        then 401 `api_key_invalid`. Allowed at the key cap. A key already rotated, or
        expired, cannot be rotated (409). Another user's key is 404, for admins too: a
        rotation mints a key, which only its owner may do.
        """
        key, raw = service.rotate_key(current_caller, key_id, **body)
        key.key = raw  # serialised once, never stored
        return key, 201
