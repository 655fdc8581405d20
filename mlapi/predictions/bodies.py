"""The predict operations' request bodies checked, and their answers written, by hand.

Issue 17 (decision 5): webargs + marshmallow cost more per prediction than the model call.
These plain functions give exactly what ``PredictRequest``, ``BatchPredictRequest``,
``ModelPredictRequest`` and ``ModelBatchPredictRequest`` ``.load`` give (the same values, or
the same messages, in the same order, flattened as webargs' 422 is by
``mlapi.errors.flatten_errors``), and what ``PredictionResult`` and ``BatchResult`` ``.dump``
give for the service's answers; tests/unit/predictions/test_bodies.py compares them over many
bodies. The schemas stay: they are the OpenAPI document (``ApiBlueprint.json_body``).
"""

from ..errors import ValidationFailed, flatten_errors
from .schemas import MAX_FEATURES, MAX_SAMPLES

# marshmallow's own messages, which the 422 bodies have always carried
REQUIRED = "Missing data for required field."
NULL = "Field may not be null."
UNKNOWN = "Unknown field."
NOT_A_LIST = "Not a valid list."
NOT_A_NUMBER = "Not a number."
TOO_LARGE = "Number too large."
SPECIAL = "Special numeric values (nan or infinity) are not permitted."
NAME_LENGTH = "Length must be between 1 and 200."
_MISSING = object()


def _count_error(low: int, high: int, noun: str, count: int) -> list[str]:
    return [f"Send between {low} and {high} {noun}; got {count}."]


def _numbers(values: list) -> tuple[list[float] | None, dict | None]:
    """``JSONNumber(allow_nan=False)`` on each item: the floats, or ``{index: [message]}``."""
    floats, errors = [], None
    for index, value in enumerate(values):
        kind = type(value)
        if kind is float:
            if value - value == 0.0:  # NaN and infinities give NaN here
                floats.append(value)
                continue
            message = SPECIAL
        elif kind is int:  # bool is not
            try:
                floats.append(float(value))
                continue
            except OverflowError:
                message = TOO_LARGE
        else:
            message = NULL if value is None else NOT_A_NUMBER
        if errors is None:
            errors = {}
        errors[index] = [message]
    return (None, errors) if errors else (floats, None)


def _listed(value) -> tuple:
    """``feature_list()`` on a value that is not None."""
    if not isinstance(value, list):
        return None, [NOT_A_LIST]
    if not 1 <= len(value) <= MAX_FEATURES:
        return None, _count_error(1, MAX_FEATURES, "features", len(value))
    return _numbers(value)


def _named(value: dict) -> tuple:
    """``FeatureValues`` on an object: ``{name: float}``, or messages by name (``key``
    for a name of the wrong length, ``value`` for a value that is not a finite number)."""
    if not 1 <= len(value) <= MAX_FEATURES:
        return None, _count_error(1, MAX_FEATURES, "features", len(value))
    errors: dict = {}
    for name in value:
        if not 1 <= len(name) <= 200:
            errors[name] = {"key": [NAME_LENGTH]}
    numbers, problems = _numbers(list(value.values()))
    if problems:
        names = list(value)
        for index, messages in problems.items():
            errors.setdefault(names[index], {})["value"] = messages
    if errors:
        return None, errors
    return dict(zip(value, numbers, strict=True)), None


def _listed_or_named(value) -> tuple:
    return _named(value) if isinstance(value, dict) else _listed(value)


def _samples(value, item) -> tuple:
    """``BoundedList(item, 1..MAX_SAMPLES, "samples")`` on a value that is not None."""
    if not isinstance(value, list):
        return None, [NOT_A_LIST]
    if not 1 <= len(value) <= MAX_SAMPLES:
        return None, _count_error(1, MAX_SAMPLES, "samples", len(value))
    loaded, errors = [], {}
    for index, sample in enumerate(value):
        row, messages = (None, [NULL]) if sample is None else item(sample)
        if messages:
            errors[index] = messages
        loaded.append(row)
    return (None, errors) if errors else (loaded, None)


def _load(payload: dict, name: str, field) -> dict:
    """A schema of the one required field ``name`` (unknown fields refused), as marshmallow
    loads it: the field's messages first, then each unknown field's, in the order
    marshmallow finds them (the same set difference)."""
    errors = {}
    value = payload.get(name, _MISSING)
    if value is _MISSING:
        errors[name] = [REQUIRED]
    elif value is None:
        errors[name] = [NULL]
    else:
        loaded, messages = field(value)
        if messages:
            errors[name] = messages
    for key in set(payload) - {name}:
        errors[key] = [UNKNOWN]
    if errors:
        raise ValidationFailed(flatten_errors({"json": errors}))
    return {name: loaded}


def load_predict(payload: dict) -> dict:
    """``PredictRequest().load(payload)``: ``{"features": [float, ...]}``."""
    return _load(payload, "features", _listed)


def load_batch_predict(payload: dict) -> dict:
    """``BatchPredictRequest().load(payload)``: ``{"samples": [[float, ...], ...]}``."""
    return _load(payload, "samples", lambda value: _samples(value, _listed))


def load_model_predict(payload: dict) -> dict:
    """``ModelPredictRequest().load(payload)``: features as a list or ``{name: float}``."""
    return _load(payload, "features", _listed_or_named)


def load_model_batch_predict(payload: dict) -> dict:
    """``ModelBatchPredictRequest().load(payload)``."""
    return _load(payload, "samples", lambda value: _samples(value, _listed_or_named))


def dump_prediction(prediction: dict) -> dict:
    """``PredictionResult().dump(prediction)`` for ``service.predict``'s answer (its values
    already of the fields' types; no ``probabilities`` key when there are none)."""
    answer = {"prediction": prediction["prediction"]}
    if prediction["probabilities"] is not None:
        answer["probabilities"] = prediction["probabilities"]
    answer["model_id"] = prediction["model_id"]
    answer["model_name"] = prediction["model_name"]
    answer["model_version"] = prediction["model_version"]
    answer["cached"] = prediction["cached"]
    answer["latency_ms"] = prediction["latency_ms"]
    answer["prediction_id"] = prediction["id"]
    return answer


BATCH_FIELDS = ("predictions", "prediction_ids", "count", "model_id", "model_name", "model_version")


def dump_batch(result: dict) -> dict:
    """``BatchResult().dump(result)`` for ``service.predict_batch``'s answer."""
    return {field: result[field] for field in BATCH_FIELDS}
