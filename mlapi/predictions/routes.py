"""Predictions on the default model, and each caller's prediction history."""

from flask.views import MethodView
from flask_jwt_extended import current_user

from ..api import ApiBlueprint
from ..database import MAX_ID
from ..pagination import page_of
from ..registry.service import default_model
from . import service
from .schemas import (
    BatchPredictRequest,
    BatchResult,
    HistoryQuery,
    PredictionRecord,
    PredictionResult,
    PredictRequest,
)

blp = ApiBlueprint("predictions", __name__, url_prefix="/api/v1",
                   description="Ask the default model for predictions; read your history.")


@blp.route("/predict")
class Predict(MethodView):
    @blp.authenticated
    @blp.arguments(PredictRequest)
    @blp.response(200, PredictionResult)
    def post(self, body):
        """Predict one sample with the default model"""
        return service.predict(current_user, default_model(), body["features"])


@blp.route("/batch-predict")
class BatchPredict(MethodView):
    @blp.authenticated
    @blp.arguments(BatchPredictRequest)
    @blp.response(200, BatchResult)
    def post(self, body):
        """Predict 1 to 100 samples with the default model"""
        record = default_model()
        predictions = service.predict_batch(current_user, record, body["samples"])
        return {"predictions": [p.prediction for p in predictions],
                "prediction_ids": [p.id for p in predictions], "count": len(predictions),
                "model_id": record.id, "model_name": record.name,
                "model_version": record.version}


@blp.route("/predictions")
class History(MethodView):
    @blp.authenticated
    @blp.arguments(HistoryQuery, location="query")
    @blp.response(200, page_of(PredictionRecord))
    def get(self, query):
        """Your predictions, newest first"""
        return service.history(current_user, **query)


@blp.route(f"/predictions/<int(min=1, max={MAX_ID}):prediction_id>")
class PredictionItem(MethodView):
    @blp.authenticated
    @blp.response(200, PredictionRecord)
    @blp.problems(403, 404)
    def get(self, prediction_id):
        """One of your predictions"""
        return service.get_prediction(current_user, prediction_id)
