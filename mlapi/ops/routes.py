"""``/health``, ``/livez`` and ``/readyz``: plain JSON, not problem details;
``/metrics``: Prometheus text (``mlapi.ops.metrics``)."""

import logging

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..api import ApiBlueprint
from ..bootstrap import schema_ready
from ..database import read_scalar
from ..document import ResponseSchema
from ..errors import ApiError
from ..extensions import db
from ..registry.service import default_model_snapshot, estimator_for
from ..version import __version__
from .cache_status import cache_status
from .metrics import metrics_response
from .readiness import NO_SCHEMA, UNREACHABLE

log = logging.getLogger("mlapi.ops")

blp = ApiBlueprint("operations", __name__, description="Health, liveness and readiness.")


class ModelRef(ResponseSchema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    version = ma.fields.Integer()


class HealthSchema(ResponseSchema):
    SOMETIMES_ABSENT = ("reason",)

    status = ma.fields.String(metadata={"enum": ["ok", "degraded"]})
    database = ma.fields.String(metadata={"enum": ["ok", "unavailable", "no_schema"]})
    cache = ma.fields.String(metadata={"enum": ["ok", "disabled", "unavailable"]})
    version = ma.fields.String()
    default_model = ma.fields.Nested(ModelRef, allow_none=True)
    reason = ma.fields.String(
        metadata={
            "description": "Why the service is degraded, and what an operator does about it "
            "(only when it is).",
            "example": NO_SCHEMA,
        }
    )


class StatusSchema(ResponseSchema):
    SOMETIMES_ABSENT = ("reason",)

    status = ma.fields.String()
    reason = ma.fields.String()


# Prometheus' text format (https://prometheus.io/docs/instrumenting/exposition_formats/).
EXPOSITION = {
    "schema": {"type": "string"},
    "example": (
        "# HELP mlapi_predictions_total Predictions answered (one per sample), by model and "
        "version.\n# TYPE mlapi_predictions_total counter\n"
        'mlapi_predictions_total{model_id="1",model_version="1"} 42.0\n'
    ),
}
_PROBE = text("SELECT 1")
DATABASE_REASONS = {"unavailable": UNREACHABLE, "no_schema": NO_SCHEMA}


def _database_state() -> str:
    """``ok``, ``no_schema`` or ``unavailable``. The first time the schema is there, in a
    process that started without it, the first start runs (``mlapi.bootstrap``): an
    orchestrator polling these endpoints brings it up after ``flask db upgrade``.

    The probe is one autocommit statement (``read_scalar``): through the session it was
    three round trips on PostgreSQL (BEGIN, SELECT, the ROLLBACK at the end of the
    request)."""
    try:
        read_scalar(_PROBE)
        return "ok" if schema_ready(current_app._get_current_object()) else "no_schema"
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("database check failed: %s", type(exc).__name__)
        return "unavailable"


@blp.route("/health")
class Health(MethodView):
    @blp.doc(operationId="getHealth")
    @blp.response(200, HealthSchema)
    @blp.alt_response(
        503,
        schema=HealthSchema,
        description="The database cannot be reached, or has no schema yet.",
    )
    def get(self):
        """Service health, for people and dashboards"""
        database = _database_state()
        model = None
        if database == "ok":
            try:
                model = default_model_snapshot()
            except (ApiError, SQLAlchemyError):  # none yet
                db.session.rollback()
                model = None
        body = {
            "status": "ok" if database == "ok" else "degraded",
            "database": database,
            "cache": cache_status(),
            "version": __version__,
            "default_model": model,
        }
        if database != "ok":
            body["reason"] = DATABASE_REASONS[database]
            return body, 503
        return body


@blp.route("/metrics")
class Metrics(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "Prometheus exposition (OpenMetrics when the Accept header asks for "
                "it). When the operator sets MLAPI_METRICS_TOKEN, only a request with "
                "`Authorization: Bearer <that token>` gets it (docs/observability.md); "
                "otherwise no credential is asked for.",
                "content": {"text/plain": EXPOSITION, "application/openmetrics-text": EXPOSITION},
            }
        }
    )
    @blp.doc(operationId="getMetrics")
    @blp.problems(401)
    def get(self):
        """Prometheus metrics: requests, predictions, cache, webhooks"""
        return metrics_response()


@blp.route("/livez")
class Liveness(MethodView):
    @blp.doc(operationId="getLiveness")
    @blp.response(200, StatusSchema)
    def get(self):
        """The process is alive (touches nothing else)"""
        return {"status": "ok"}


@blp.route("/readyz")
class Readiness(MethodView):
    @blp.doc(operationId="getReadiness")
    @blp.response(200, StatusSchema)
    @blp.alt_response(503, schema=StatusSchema, description="Not ready to serve.")
    def get(self):
        """Ready to serve: database reachable and default model loadable"""
        database = _database_state()
        if database != "ok":
            return {"status": "not_ready", "reason": DATABASE_REASONS[database]}, 503
        try:
            estimator_for(default_model_snapshot())
        except ApiError as exc:
            return {"status": "not_ready", "reason": exc.detail}, 503
        except SQLAlchemyError:
            db.session.rollback()
            return {"status": "not_ready", "reason": "the database schema is unreadable"}, 503
        return {"status": "ready"}
