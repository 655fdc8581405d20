"""Feedback: what really happened after a prediction, given by the prediction's owner.

One feedback per prediction; a second replaces the first (same id, new values).
"""

import math

from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..errors import ValidationFailed
from ..extensions import db
from ..policy import authorize
from ..registry.models import TASK_CLASSIFICATION, MLModel
from .models import Feedback, Prediction
from .schemas import FeedbackRecord
from .service import find_prediction
from .signals import feedback_given


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite_number(value) -> bool:
    """A number a float can hold: a JSON integer too large for a float is not finite."""
    if not _is_number(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int of 309 digits or more
        return False


def _is_label(value) -> bool:
    """A plausible class label when the model did not record its classes."""
    if isinstance(value, str):
        return 0 < len(value) <= 100
    return _is_finite_number(value)


def _matching_class(classes: list, value):
    """The model's own class label equal to ``value`` (numbers match numbers, strings
    strings), or None."""
    for label in classes:
        same_kind = _is_number(label) == _is_number(value)
        if same_kind and not isinstance(label, bool) and label == value:
            return label
    return None


def actual_value_for(record: MLModel, value):
    """``value`` checked against the model: a finite number for a regressor, one of its
    classes for a classifier (returned as the model spells it); 422 otherwise."""
    if record.task == TASK_CLASSIFICATION:
        if record.classes:
            label = _matching_class(record.classes, value)
            if label is None:
                allowed = ", ".join(map(str, record.classes))
                raise ValidationFailed(
                    {"actual_value": [f"Must be one of the model's classes: {allowed}."]}
                )
            return label
        if _is_label(value):
            return value
        raise ValidationFailed(
            {
                "actual_value": [
                    "Must be a class label (a finite number or a string of 1-100 characters)."
                ]
            }
        )
    if _is_finite_number(value):
        return value
    raise ValidationFailed({"actual_value": ["Must be a finite number for a regression model."]})


def feedback_target(caller, prediction_id: int) -> Prediction:
    """The prediction ``caller`` may give feedback on: 404 when missing, then 403."""
    prediction = find_prediction(prediction_id)
    authorize(caller, "feedback", prediction, "Only the prediction's owner can give feedback.")
    return prediction


def _announce(feedback: Feedback) -> None:
    """``feedback_given``, in the feedback's transaction (``mlapi.predictions.signals``)."""
    db.session.flush()  # a concurrent first feedback fails here; ids and times are set
    data = FeedbackRecord().dump(feedback)
    data["model_id"] = feedback.prediction.model_id
    feedback_given.send(
        current_app._get_current_object(), owner_id=feedback.prediction.owner_id, data=data
    )


def give_feedback(
    caller, prediction_id: int, actual_value, score: int | None = None, comment: str | None = None
) -> tuple[Feedback, bool]:
    """Record (or replace) the owner's feedback; returns (feedback, created)."""
    prediction = feedback_target(caller, prediction_id)
    record = db.session.get(MLModel, prediction.model_id)
    actual_value = actual_value_for(record, actual_value)
    feedback = prediction.feedback
    created = feedback is None
    if created:
        feedback = Feedback(prediction=prediction)
        db.session.add(feedback)
    feedback.actual_value, feedback.score, feedback.comment = actual_value, score, comment
    try:
        _announce(feedback)
        db.session.commit()
    except IntegrityError:  # a concurrent first feedback won: replace that one instead
        db.session.rollback()
        return give_feedback(caller, prediction_id, actual_value, score, comment)
    return feedback, created
