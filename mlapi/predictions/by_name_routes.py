"""Predictions by full name: the newest version (``latest``), an alias, or a version number.

The same bodies, budget and answers as ``/models/{id}/predict`` (mlapi/predictions/routes.py),
plus ``alias`` when one chose the version. The selector is resolved to one record first
(mlapi/registry/names.py); the answer cache is then the per-model one, keyed by that
record's id and version, so a moved alias never gets the other version's answers.
"""

import marshmallow as ma
from flask.views import MethodView

from ..api import ApiBlueprint
from ..auth.credentials import current_caller
from ..database import MAX_ID
from ..registry import names
from ..registry.names_routes import ALIAS, NAME
from . import bodies, service
from .schemas import (
    MODEL_BATCH_PREDICT_EXAMPLE,
    MODEL_PREDICT_EXAMPLE,
    BatchResult,
    ModelBatchPredictRequest,
    ModelPredictRequest,
    PredictionResult,
)

blp = ApiBlueprint(
    "predictions_by_name",
    __name__,
    url_prefix="/api/v1",
    description="Ask a model for predictions by its full name: its newest version, an alias "
    "such as `production`, or a version number.",
)

VERSION = f"{NAME}/versions/<int(min=1, max={MAX_ID}):version>"
ALIAS_DESCRIPTION = "The alias that chose the version (`latest` for the name alone)."


def _alias_field():
    return ma.fields.String(metadata={"description": ALIAS_DESCRIPTION, "example": "production"})


class NamedPredictionResult(PredictionResult):
    """A prediction, with the alias that chose the version (absent for a version number)."""

    SOMETIMES_ABSENT = (*PredictionResult.SOMETIMES_ABSENT, "alias")
    alias = _alias_field()


class NamedBatchResult(BatchResult):
    """Batch predictions, with the alias that chose the version (absent for a version
    number)."""

    SOMETIMES_ABSENT = ("alias",)
    alias = _alias_field()


def _aliased(dump):
    def dumped(result: dict) -> dict:
        answer = dump(result)
        if result.get("alias") is not None:
            answer["alias"] = result["alias"]
        return answer

    return dumped


def _record(owner, name, alias=None, version=None):
    return names.resolve(current_caller, owner, name, alias=alias, version=version)


def _predict(body, record, alias):
    return {**service.predict(current_caller, record, body["features"]), "alias": alias}


def _predict_batch(body, record, alias):
    return {**service.predict_batch(current_caller, record, body["samples"]), "alias": alias}


def _views(path: str, operation: str, summary: str, *, alias: str | None = None):
    """The predict and batch-predict views under ``path``: ``alias`` fixed (``latest``)
    or taken from the path (``None``: the path's ``alias`` or ``version``)."""

    def chosen(kwargs: dict) -> str | None:
        return alias or kwargs.get("alias")

    @blp.route(f"{path}/predict", endpoint=f"{operation}Predict")
    class Predict(MethodView):
        @blp.doc(operationId=f"predictWith{operation}", summary=f"Predict one sample {summary}")
        @blp.authenticated(budget="predict")
        @blp.path_object(lambda **kwargs: _record(alias=chosen(kwargs), **_where(kwargs)))
        @blp.json_body(
            ModelPredictRequest, bodies.load_model_predict, example=MODEL_PREDICT_EXAMPLE
        )
        @blp.json_response(200, NamedPredictionResult, _aliased(bodies.dump_prediction))
        @blp.problems(404)
        def post(self, body, **kwargs):
            record = _record(alias=chosen(kwargs), **_where(kwargs))
            return _predict(body, record, chosen(kwargs))

    @blp.route(f"{path}/batch-predict", endpoint=f"{operation}BatchPredict")
    class BatchPredict(MethodView):
        @blp.doc(
            operationId=f"batchPredictWith{operation}",
            summary=f"Predict 1 to 100 samples {summary}",
        )
        @blp.authenticated(budget="predict")
        @blp.path_object(lambda **kwargs: _record(alias=chosen(kwargs), **_where(kwargs)))
        @blp.json_body(
            ModelBatchPredictRequest,
            bodies.load_model_batch_predict,
            example=MODEL_BATCH_PREDICT_EXAMPLE,
        )
        @blp.json_response(200, NamedBatchResult, _aliased(bodies.dump_batch))
        @blp.problems(404)
        def post(self, body, **kwargs):
            record = _record(alias=chosen(kwargs), **_where(kwargs))
            return _predict_batch(body, record, chosen(kwargs))


def _where(kwargs: dict) -> dict:
    return {"owner": kwargs["owner"], "name": kwargs["name"], "version": kwargs.get("version")}


_views(NAME, "ModelName", "with the newest version of a model name", alias=names.LATEST)
_views(ALIAS, "ModelAlias", "with the version an alias names")
_views(VERSION, "ModelVersion", "with one version of a model name")
