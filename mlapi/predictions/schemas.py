"""Prediction requests, answers and history records."""

import marshmallow as ma
from marshmallow import validate

from ..database import MAX_ID
from ..document import ResponseSchema
from ..pagination import PageQuery
from ..registry.schemas import LABELS_OR_LABEL
from ..timeutil import UTCDateTime
from .metrics import FEEDBACK_SCOPES

MAX_FEATURES = 10_000
MAX_SAMPLES = 100

# Examples fit the built-in model every install starts with (scikit-learn's diabetes data,
# ten features): the first two rows of the data set, which progressed by 151 and 75.
EXAMPLE_FEATURE_NAMES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
EXAMPLE_ROW = [0.038, 0.051, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.020, -0.018]
EXAMPLE_ROW_2 = [-0.002, -0.045, -0.051, -0.026, -0.008, -0.019, 0.074, -0.039, -0.068, -0.092]
EXAMPLE_NAMED_ROW = dict(zip(EXAMPLE_FEATURE_NAMES, EXAMPLE_ROW, strict=True))
PREDICT_EXAMPLE = {"features": EXAMPLE_ROW}
BATCH_PREDICT_EXAMPLE = {"samples": [EXAMPLE_ROW, EXAMPLE_ROW_2]}
MODEL_PREDICT_EXAMPLE = {"features": EXAMPLE_NAMED_ROW}
MODEL_BATCH_PREDICT_EXAMPLE = {"samples": [EXAMPLE_NAMED_ROW, EXAMPLE_ROW_2]}
FEEDBACK_EXAMPLE = {
    "actual_value": 151.0,
    "score": 4,
    "comment": "Close to the progression measured a year later.",
}


# What really happened, as feedback takes and keeps it (``feedback.actual_value_for``).
ACTUAL_VALUE = {"oneOf": [{"type": "number"}, {"type": "string"}]}
PREDICTION_DESCRIPTION = (
    "A number (regression) or one of the model's classes "
    "(classification); a list of them for a model of several outputs."
)


class JSONNumber(ma.fields.Float):
    """A finite JSON number: strings and booleans are refused, not coerced."""

    default_error_messages = {"invalid": "Not a number."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class BoundedList(ma.fields.List):
    """A list whose length is checked before its items are, so a huge array costs little."""

    def __init__(self, inner, *, min_length: int, max_length: int, noun: str, **kwargs):
        super().__init__(inner, **kwargs)
        self.min_length, self.max_length, self.noun = min_length, max_length, noun
        self.metadata.setdefault("minItems", min_length)
        self.metadata.setdefault("maxItems", max_length)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise self.make_error("invalid")
        if not self.min_length <= len(value) <= self.max_length:
            raise ma.ValidationError(
                f"Send between {self.min_length} and {self.max_length} "
                f"{self.noun}; got {len(value)}."
            )
        return super()._deserialize(value, attr, data, **kwargs)


def feature_list(**kwargs) -> BoundedList:
    return BoundedList(
        JSONNumber(allow_nan=False),
        min_length=1,
        max_length=MAX_FEATURES,
        noun="features",
        **kwargs,
    )


class PredictRequest(ma.Schema):
    features = feature_list(
        required=True,
        metadata={
            "description": "One value per model feature, in the model's feature order.",
            "example": EXAMPLE_ROW,
        },
    )


class FeatureValues(ma.fields.Field):
    """A list of numbers in the model's feature order, or ``{feature_name: number}``."""

    default_error_messages = {"invalid": "Send a list of numbers or an object of named numbers."}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault(
            "oneOf",
            [
                {
                    "type": "array",
                    "items": {"type": "number"},
                    "minItems": 1,
                    "maxItems": MAX_FEATURES,
                },
                {
                    "type": "object",
                    "additionalProperties": {"type": "number"},
                    "minProperties": 1,
                    "maxProperties": MAX_FEATURES,
                },
            ],
        )
        super().__init__(**kwargs)
        self._listed = feature_list()
        self._named = ma.fields.Dict(
            keys=ma.fields.String(validate=validate.Length(1, 200)),
            values=JSONNumber(allow_nan=False),
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            return self._listed.deserialize(value, attr, data, **kwargs)
        if not 1 <= len(value) <= MAX_FEATURES:
            raise ma.ValidationError(
                f"Send between 1 and {MAX_FEATURES} features; got {len(value)}."
            )
        return self._named.deserialize(value, attr, data, **kwargs)


class ModelPredictRequest(ma.Schema):
    features = FeatureValues(
        required=True,
        metadata={
            "description": "One value per model feature: a list in the model's feature order, "
            "or an object keyed by the model's feature names.",
            "example": EXAMPLE_NAMED_ROW,
        },
    )


class ModelBatchPredictRequest(ma.Schema):
    samples = BoundedList(
        FeatureValues(),
        min_length=1,
        max_length=MAX_SAMPLES,
        noun="samples",
        required=True,
        metadata={
            "description": "1 to 100 samples, each a list or an object of named features.",
            "example": MODEL_BATCH_PREDICT_EXAMPLE["samples"],
        },
    )


class BatchPredictRequest(ma.Schema):
    samples = BoundedList(
        feature_list(),
        min_length=1,
        max_length=MAX_SAMPLES,
        noun="samples",
        required=True,
        metadata={
            "description": "1 to 100 rows of features.",
            "example": BATCH_PREDICT_EXAMPLE["samples"],
        },
    )


class _Answer(ResponseSchema):
    SOMETIMES_ABSENT = ("probabilities",)

    prediction = ma.fields.Raw(metadata={**LABELS_OR_LABEL, "description": PREDICTION_DESCRIPTION})
    probabilities = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Float(),
        metadata={"description": "Classifiers only: class -> p."},
    )
    model_id = ma.fields.Integer()
    model_name = ma.fields.String()
    model_version = ma.fields.Integer()
    cached = ma.fields.Boolean()
    latency_ms = ma.fields.Float()

    @ma.post_dump
    def drop_absent_probabilities(self, data, **_kwargs):
        if data.get("probabilities") is None:
            data.pop("probabilities", None)
        return data


class PredictionResult(_Answer):
    prediction_id = ma.fields.Integer(attribute="id")


class BatchResult(ResponseSchema):
    predictions = ma.fields.List(
        ma.fields.Raw(metadata=LABELS_OR_LABEL),
        metadata={"description": f"One per sample, in order. {PREDICTION_DESCRIPTION}"},
    )
    prediction_ids = ma.fields.List(ma.fields.Integer())
    count = ma.fields.Integer()
    model_id = ma.fields.Integer()
    model_name = ma.fields.String()
    model_version = ma.fields.Integer()


class PredictionRecord(_Answer):
    id = ma.fields.Integer()
    features = ma.fields.List(ma.fields.Float())
    created_at = UTCDateTime()


class HistoryQuery(PageQuery):
    model_id = ma.fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Only predictions of this model."},
    )


class FeedbackRequest(ma.Schema):
    actual_value = ma.fields.Raw(
        required=True,
        metadata={
            **ACTUAL_VALUE,
            "example": 151.0,
            "description": "What really happened: a number for a regression model, one of the "
            "model's classes for a classifier.",
        },
    )
    score = ma.fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=5),
        metadata={
            "description": "How useful the prediction was, 1-5.",
            "example": FEEDBACK_EXAMPLE["score"],
        },
    )
    comment = ma.fields.String(
        validate=validate.Length(max=1000), metadata={"example": FEEDBACK_EXAMPLE["comment"]}
    )


class FeedbackRecord(ResponseSchema):
    id = ma.fields.Integer()
    prediction_id = ma.fields.Integer()
    actual_value = ma.fields.Raw(metadata=ACTUAL_VALUE)
    score = ma.fields.Integer(allow_none=True)
    comment = ma.fields.String(allow_none=True)
    created_at = UTCDateTime()
    updated_at = UTCDateTime(metadata={"description": "When the feedback was last replaced."})


class PredictionDetail(PredictionRecord):
    feedback = ma.fields.Nested(
        FeedbackRecord,
        allow_none=True,
        metadata={
            "description": "The owner's feedback on this prediction; null while there is none."
        },
    )


class MetricsQuery(ma.Schema):
    feedback = ma.fields.String(
        load_default="all",
        validate=validate.OneOf(FEEDBACK_SCOPES),
        metadata={
            "description": "Whose feedback the error figures (`feedback_count`, `mae`, "
            "`accuracy`) are computed from: `all` (anyone who predicted "
            "with the model) or `own` (the model's owner only). Volume "
            "and latency always count every prediction."
        },
    )


class MetricsResult(ResponseSchema):
    SOMETIMES_ABSENT = ("mae", "accuracy")  # one or the other, by the model's task

    model_id = ma.fields.Integer()
    feedback_scope = ma.fields.String(
        metadata={
            "enum": list(FEEDBACK_SCOPES),
            "description": "Whose feedback the error figures come from (the `feedback` query "
            "parameter).",
        }
    )
    prediction_count = ma.fields.Integer()
    feedback_count = ma.fields.Integer()
    mean_latency_ms = ma.fields.Float(allow_none=True)
    p95_latency_ms = ma.fields.Float(allow_none=True)
    mae = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "Regression models only (absent for a classifier): mean absolute "
            "error against feedback; null while there is none, or when one error "
            "is too large for a float (`metrics_note` says so)."
        },
    )
    accuracy = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "Classifiers only (absent for a regression model): share of feedback "
            "matching the prediction; null while there is none."
        },
    )
    metrics_note = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Why a figure is null although there is feedback; null otherwise."
        },
    )
