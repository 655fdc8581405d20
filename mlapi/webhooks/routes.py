"""Webhooks: register URLs to be told about your models and predictions."""

from flask import url_for
from flask.views import MethodView

from ..api import ApiBlueprint
from ..auth.credentials import current_caller
from ..database import MAX_ID
from ..document import LOCATION
from ..pagination import PageQuery, page_of
from . import service
from .schemas import (
    WEBHOOK_EXAMPLE,
    AttemptSchema,
    NewWebhookSchema,
    WebhookQuery,
    WebhookRequest,
    WebhookSchema,
)

blp = ApiBlueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1",
    description="Be told, by signed HTTP POSTs, when something of yours "
    "changes: an upload, a deletion, feedback.",
)
HOOK = f"/webhooks/<int(min=1, max={MAX_ID}):webhook_id>"


@blp.route("/webhooks")
class Webhooks(MethodView):
    @blp.doc(operationId="createWebhook")
    @blp.authenticated(budget="default")
    @blp.arguments(WebhookRequest, example=WEBHOOK_EXAMPLE)
    @blp.response(201, NewWebhookSchema, headers=LOCATION)
    @blp.problems(409)
    def post(self, body):
        """Register a webhook; its signing secret is shown in this response only"""
        hook, secret = service.create_webhook(current_caller, **body)
        hook.secret = secret  # serialised once, never stored in the clear
        return hook, 201, {"Location": url_for("webhooks.WebhookItem", webhook_id=hook.id)}

    @blp.doc(operationId="listWebhooks")
    @blp.authenticated(budget="default")
    @blp.arguments(WebhookQuery, location="query")
    @blp.response(200, page_of(WebhookSchema))
    def get(self, query):
        """Your webhooks (an admin's list holds everyone's), newest first"""
        return service.list_webhooks(current_caller, **query)


@blp.route(HOOK)
class WebhookItem(MethodView):
    @blp.doc(operationId="getWebhook")
    @blp.authenticated(budget="default")
    @blp.response(200, WebhookSchema)
    @blp.problems(404)
    def get(self, webhook_id):
        """One of your webhooks, without its secret"""
        return service.get_webhook(current_caller, webhook_id)

    @blp.doc(operationId="deleteWebhook")
    @blp.authenticated(budget="default")
    @blp.response(204)
    @blp.problems(404)
    def delete(self, webhook_id):
        """Delete a webhook (yours; an admin may delete any) with its pending deliveries"""
        service.delete_webhook(current_caller, webhook_id)


@blp.route(f"{HOOK}/deliveries")
class WebhookDeliveries(MethodView):
    @blp.doc(operationId="listWebhookDeliveries")
    @blp.authenticated(budget="default")
    @blp.path_object(lambda webhook_id: service.get_webhook(current_caller, webhook_id))
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, page_of(AttemptSchema))
    @blp.problems(404)
    def get(self, query, webhook_id):
        """Every attempt to deliver to a webhook, newest first"""
        return service.list_attempts(current_caller, webhook_id, **query)
