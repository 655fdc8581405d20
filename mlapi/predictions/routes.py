"""Predictions from the default model or a chosen one, feedback on them, and each caller's
prediction history."""

from flask.views import MethodView

from ..api import ApiBlueprint
from ..auth.credentials import current_caller
from ..database import MAX_ID
from ..pagination import page_of
from ..registry.service import default_model_snapshot, get_model
from . import bodies, export, feedback, service
from .metrics import model_metrics
from .schemas import (
    BATCH_PREDICT_EXAMPLE,
    FEEDBACK_EXAMPLE,
    MODEL_BATCH_PREDICT_EXAMPLE,
    MODEL_PREDICT_EXAMPLE,
    PREDICT_EXAMPLE,
    BatchPredictRequest,
    BatchResult,
    FeedbackRecord,
    FeedbackRequest,
    HistoryQuery,
    MetricsQuery,
    MetricsResult,
    ModelBatchPredictRequest,
    ModelPredictRequest,
    PredictionDetail,
    PredictionRecord,
    PredictionResult,
    PredictRequest,
)

blp = ApiBlueprint(
    "predictions",
    __name__,
    url_prefix="/api/v1",
    description="Ask a model for predictions, give feedback on them, and read your history.",
)

MODEL = f"/models/<int(min=1, max={MAX_ID}):model_id>"
PREDICTION = f"/predictions/<int(min=1, max={MAX_ID}):prediction_id>"


@blp.route("/predict")
class Predict(MethodView):
    @blp.doc(operationId="predict")
    @blp.authenticated(budget="predict")
    @blp.json_body(PredictRequest, bodies.load_predict, example=PREDICT_EXAMPLE)
    @blp.json_response(200, PredictionResult, bodies.dump_prediction)
    def post(self, body):
        """Predict one sample with the default model"""
        return service.predict(current_caller, default_model_snapshot(), body["features"])


@blp.route("/batch-predict")
class BatchPredict(MethodView):
    @blp.doc(operationId="batchPredict")
    @blp.authenticated(budget="predict")
    @blp.json_body(BatchPredictRequest, bodies.load_batch_predict, example=BATCH_PREDICT_EXAMPLE)
    @blp.json_response(200, BatchResult, bodies.dump_batch)
    def post(self, body):
        """Predict 1 to 100 samples with the default model"""
        return service.predict_batch(current_caller, default_model_snapshot(), body["samples"])


@blp.route(f"{MODEL}/predict")
class ModelPredict(MethodView):
    @blp.doc(operationId="predictWithModel")
    @blp.authenticated(budget="predict")
    @blp.path_object(lambda model_id: get_model(current_caller, model_id, "predict"))
    @blp.json_body(ModelPredictRequest, bodies.load_model_predict, example=MODEL_PREDICT_EXAMPLE)
    @blp.json_response(200, PredictionResult, bodies.dump_prediction)
    @blp.problems(403, 404)
    def post(self, body, model_id):
        """Predict one sample with a model you may see"""
        record = get_model(current_caller, model_id, "predict")
        return service.predict(current_caller, record, body["features"])


@blp.route(f"{MODEL}/batch-predict")
class ModelBatchPredict(MethodView):
    @blp.doc(operationId="batchPredictWithModel")
    @blp.authenticated(budget="predict")
    @blp.path_object(lambda model_id: get_model(current_caller, model_id, "predict"))
    @blp.json_body(
        ModelBatchPredictRequest,
        bodies.load_model_batch_predict,
        example=MODEL_BATCH_PREDICT_EXAMPLE,
    )
    @blp.json_response(200, BatchResult, bodies.dump_batch)
    @blp.problems(403, 404)
    def post(self, body, model_id):
        """Predict 1 to 100 samples with a model you may see"""
        record = get_model(current_caller, model_id, "predict")
        return service.predict_batch(current_caller, record, body["samples"])


@blp.route(f"{MODEL}/metrics")
class ModelMetrics(MethodView):
    @blp.doc(operationId="getModelMetrics")
    @blp.authenticated(budget="default")
    @blp.path_object(lambda model_id: get_model(current_caller, model_id, "metrics"))
    @blp.arguments(MetricsQuery, location="query")
    @blp.response(200, MetricsResult)
    @blp.problems(403, 404)
    def get(self, query, model_id):
        """How a model is doing: volume, latency, error against feedback

        Anyone who may predict with a public model can give feedback on their own
        predictions: `feedback=own` computes the error figures from the owner's feedback
        only.
        """
        return model_metrics(
            get_model(current_caller, model_id, "metrics"), feedback_scope=query["feedback"]
        )


@blp.route("/predictions")
class History(MethodView):
    @blp.doc(operationId="listPredictions")
    @blp.authenticated(budget="default")
    @blp.arguments(HistoryQuery, location="query")
    @blp.response(200, page_of(PredictionRecord))
    def get(self, query):
        """Your predictions, newest first"""
        return service.history(current_caller, **query)


@blp.route("/predictions/export")
class HistoryExport(MethodView):
    @blp.doc(responses=export.DOCUMENTED_FILE)
    @blp.doc(operationId="exportPredictions")
    @blp.authenticated(budget="default")
    @blp.arguments(export.ExportQuery, location="query")
    def get(self, query):
        """Your predictions and your feedback on them, as one CSV or JSON Lines file

        Newest first, the same rows as `GET /predictions` (yours only, an administrator's
        too), streamed as it is read. `since` counts from that moment on, `until` up to
        (not including) it, both ISO 8601 with an offset; `since` at or after `until`
        gives an empty file. A file cut short by a failure ends without the last chunk of
        the chunked encoding: clients report it as an incomplete read.
        """
        fmt = query.pop("format")
        return export.export_response(current_caller.id, fmt, **query)


@blp.route(PREDICTION)
class PredictionItem(MethodView):
    @blp.doc(operationId="getPrediction")
    @blp.authenticated(budget="default")
    @blp.response(200, PredictionDetail)
    @blp.problems(403, 404)
    def get(self, prediction_id):
        """One of your predictions, with your feedback on it"""
        return service.get_prediction(current_caller, prediction_id)


@blp.route(f"{PREDICTION}/feedback")
class PredictionFeedback(MethodView):
    @blp.doc(operationId="giveFeedback")
    @blp.authenticated(budget="default")
    @blp.path_object(lambda prediction_id: feedback.feedback_target(current_caller, prediction_id))
    @blp.arguments(FeedbackRequest, example=FEEDBACK_EXAMPLE)
    @blp.response(201, FeedbackRecord, description="The first feedback on this prediction.")
    @blp.alt_response(
        200, schema=FeedbackRecord, description="The feedback replaced the earlier one."
    )
    @blp.problems(403, 404)
    def post(self, body, prediction_id):
        """Tell how a prediction of yours turned out (only its owner can)"""
        given, created = feedback.give_feedback(current_caller, prediction_id, **body)
        return given, 201 if created else 200
