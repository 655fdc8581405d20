"""``/health``, ``/livez`` and ``/readyz``: plain JSON, not problem details (SPEC §4);
``/metrics``: Prometheus text (``mlapi.ops.metrics``)."""

import logging

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import __version__
from ..api import ApiBlueprint
from ..cache_status import cache_status
from ..errors import ApiError
from ..extensions import db
from ..registry.service import default_model_snapshot, estimator_for
from .metrics import metrics_response

log = logging.getLogger("mlapi.ops")

blp = ApiBlueprint("operations", __name__, description="Health, liveness and readiness.")


class ModelRef(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    version = ma.fields.Integer()


class HealthSchema(ma.Schema):
    status = ma.fields.String(metadata={"enum": ["ok", "degraded"]})
    database = ma.fields.String(metadata={"enum": ["ok", "unavailable"]})
    cache = ma.fields.String(metadata={"enum": ["ok", "disabled", "unavailable"]})
    version = ma.fields.String()
    default_model = ma.fields.Nested(ModelRef, allow_none=True)


class StatusSchema(ma.Schema):
    status = ma.fields.String()
    reason = ma.fields.String()


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("database check failed: %s", type(exc).__name__)
        return False


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database cannot be reached.")
    def get(self):
        """Service health, for people and dashboards"""
        database_ok = _database_ok()
        model = None
        if database_ok:
            try:
                model = default_model_snapshot()
            except (ApiError, SQLAlchemyError):  # none yet, or no schema yet
                db.session.rollback()
                model = None
        body = {"status": "ok" if database_ok else "degraded",
                "database": "ok" if database_ok else "unavailable",
                "cache": cache_status(), "version": __version__, "default_model": model}
        return body, 200 if database_ok else 503


@blp.route("/metrics")
class Metrics(MethodView):
    @blp.doc(responses={"200": {
        "description": "Prometheus exposition (OpenMetrics when the Accept header asks for "
                       "it). When the operator sets MLAPI_METRICS_TOKEN, only a request with "
                       "`Authorization: Bearer <that token>` gets it (docs/observability.md); "
                       "otherwise no credential is asked for.",
        "content": {"text/plain": {}, "application/openmetrics-text": {}}}})
    @blp.problems(401)
    def get(self):
        """Prometheus metrics: requests, predictions, cache, webhooks"""
        return metrics_response()


@blp.route("/livez")
class Liveness(MethodView):
    @blp.response(200, StatusSchema)
    def get(self):
        """The process is alive (touches nothing else)"""
        return {"status": "ok"}


@blp.route("/readyz")
class Readiness(MethodView):
    @blp.response(200, StatusSchema)
    @blp.alt_response(503, schema=StatusSchema, description="Not ready to serve.")
    def get(self):
        """Ready to serve: database reachable and default model loadable"""
        if not _database_ok():
            return {"status": "not_ready", "reason": "database unavailable"}, 503
        try:
            estimator_for(default_model_snapshot())
        except ApiError as exc:
            return {"status": "not_ready", "reason": exc.detail}, 503
        except SQLAlchemyError:
            db.session.rollback()
            return {"status": "not_ready", "reason": "database schema missing or unreadable"}, 503
        return {"status": "ready"}
