"""The audit log, read only: no endpoint changes or deletes a record (append-only)."""

from functools import wraps

from flask.views import MethodView

from ..api import ApiBlueprint
from ..auth.credentials import current_caller
from ..pagination import PageQuery, page_of
from ..policy import ADMINISTRATION, authorize
from . import queries
from .schemas import AuditEventSchema, AuditQuery

blp = ApiBlueprint(
    "audit",
    __name__,
    url_prefix="/api/v1",
    description="Who changed who may do what, or which model answers, and when.",
)


def admins_only(view):
    """Signed in (401), then an administrator (403), before the filters are read (422)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        authorize(current_caller, "access", ADMINISTRATION, "Only administrators may do this.")
        return view(*args, **kwargs)

    return blp.authenticated(budget="default")(blp.problems(403)(guarded))


@blp.route("/admin/audit")
class AllEvents(MethodView):
    @blp.doc(operationId="listAuditEvents")
    @admins_only
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, page_of(AuditEventSchema))
    def get(self, query):
        """Every audit event, newest first, filtered (admins only)

        `since` counts from that moment on, `until` up to (not including) it; both are
        ISO 8601 with an offset (`Z` or `+01:00`), a time without one is refused (422).
        """
        return queries.list_events(**query)


@blp.route("/audit")
class MyEvents(MethodView):
    @blp.doc(operationId="listMyAuditEvents")
    @blp.authenticated(budget="default")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, page_of(AuditEventSchema))
    def get(self, query):
        """Your audit events, newest first

        What you did, and what was done to your account, your keys, webhooks and models,
        and your teams and their models (as your teams are now).
        """
        return queries.list_events_of(current_caller.id, **query)
