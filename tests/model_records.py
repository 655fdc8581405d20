"""Model records made directly through the store, for prediction tests that must not
depend on the upload endpoint (it is built alongside them)."""

from mlapi.extensions import db
from mlapi.registry.loader import load_skops
from mlapi.registry.models import TASK_CLASSIFICATION, TASK_REGRESSION, MLModel
from mlapi.registry.state import model_store
from mlapi.timeutil import utcnow
from tests.support.model_files import model_file

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def add_model(
    app,
    owner_id: int,
    name: str = "churn",
    *,
    kind: str = "regressor",
    visibility: str = "private",
    feature_names: list[str] | None = None,
    version: int = 1,
    deleted: bool = False,
) -> int:
    """Store a ``model_file(kind)`` artifact and its record; return the model id."""
    artifact = model_file(kind)
    estimator = load_skops(artifact)
    classes = estimator.classes_.tolist() if hasattr(estimator, "classes_") else None
    with app.app_context():
        record = MLModel(
            owner_id=owner_id,
            name=name,
            version=version,
            model_type="sklearn",
            task=TASK_CLASSIFICATION if classes else TASK_REGRESSION,
            n_features=int(estimator.n_features_in_),
            feature_names=feature_names,
            classes=classes,
            visibility=visibility,
            sha256=model_store().put(artifact),
            size_bytes=len(artifact),
            deleted_at=utcnow() if deleted else None,
        )
        db.session.add(record)
        db.session.commit()
        return record.id
