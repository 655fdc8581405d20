"""Turning request features into rows in the model's feature order.

Features come as a list (already in order) or as ``{feature_name: value}``; the names are
the model's ``feature_names``. Values are already checked to be finite numbers by the schema.
"""

from ..errors import ValidationFailed
from ..registry.models import MLModel


def _ordered(record: MLModel, named: dict, path: str, errors: dict) -> list[float] | None:
    if not record.feature_names:
        errors[path] = ["This model has no feature names; send the features as a list."]
        return None
    unknown = sorted(set(named) - set(record.feature_names))
    missing = [name for name in record.feature_names if name not in named]
    if unknown:
        errors.setdefault(path, []).append("Unknown feature names: " + ", ".join(unknown) + ".")
    if missing:
        errors.setdefault(path, []).append("Missing feature names: " + ", ".join(missing) + ".")
    if unknown or missing:
        return None
    return [named[name] for name in record.feature_names]


def _width_error(record: MLModel, row: list) -> list[str] | None:
    if len(row) != record.n_features:
        return [f"Expected {record.n_features} features, got {len(row)}."]
    return None


def rows_for(record: MLModel, items: list, field: str) -> list[list[float]]:
    """One ordered row per item (a list or a name -> value dict); 422 naming each bad one.

    ``field`` is ``features`` for a single prediction (errors on ``features``) or
    ``samples`` for a batch (errors on ``samples.<index>``).
    """
    errors: dict[str, list[str]] = {}
    rows = []
    for index, item in enumerate(items):
        path = field if field == "features" else f"{field}.{index}"
        row = _ordered(record, item, path, errors) if isinstance(item, dict) else item
        if row is None:
            continue
        problem = _width_error(record, row)
        if problem:
            errors[path] = problem
        rows.append(row)
    if errors:
        raise ValidationFailed(errors)
    return rows
