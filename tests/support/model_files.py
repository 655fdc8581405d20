"""Model files built from scikit-learn's bundled data sets (no binaries committed), and uploads."""

import io
from functools import cache

import pytest


def _fitted(kind: str):
    import numpy as np
    from sklearn.datasets import load_diabetes, load_iris
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    if kind == "regressor":  # 10 features, like the default model
        return Ridge(alpha=0.5).fit(*load_diabetes(return_X_y=True))
    if kind == "classifier":  # 4 features, classes 0 1 2, with predict_proba
        return LogisticRegression(max_iter=500).fit(*load_iris(return_X_y=True))
    if kind == "multi_output":  # 4 features, two outputs: the class and its parity
        iris = load_iris()
        targets = np.column_stack([iris.target, iris.target % 2])
        return KNeighborsClassifier(n_neighbors=3).fit(iris.data, targets)
    if kind == "tree":  # needs a type outside skops' default trusted set
        return DecisionTreeClassifier(max_depth=3, random_state=0).fit(*load_iris(return_X_y=True))
    raise ValueError(kind)


@cache
def model_file(kind: str) -> bytes:
    """Bytes of a model file: ``regressor``/``classifier``/``tree`` as skops archives,
    ``pickle`` as a pickled estimator, ``not_a_model`` as a skops archive of a dict,
    ``corrupt`` as garbage that starts like a zip archive, ``untrusted`` as a skops archive
    whose transformer would call ``os.system`` (never fitted, never run)."""
    import os
    import pickle

    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    if kind == "untrusted":
        return sio.dumps(FunctionTransformer(func=os.system))
    if kind == "pickle":
        return pickle.dumps(_fitted("regressor"))
    if kind == "not_a_model":
        return sio.dumps({"weights": [1, 2, 3]})
    if kind == "corrupt":
        return b"PK\x03\x04" + b"\x00garbage" * 64
    return sio.dumps(_fitted(kind))


@pytest.fixture
def upload_model(client):
    """Upload a model through the API as the holder of ``headers``; return the record."""

    def upload(
        headers: dict,
        name: str = "churn",
        *,
        kind: str = "regressor",
        visibility: str | None = None,
        description: str | None = None,
        feature_names: str | None = None,
        expect: int = 201,
    ):
        form = {
            "name": name,
            "model_type": "sklearn",
            "file": (io.BytesIO(model_file(kind)), f"{name}.skops"),
        }
        for key, value in (
            ("visibility", visibility),
            ("description", description),
            ("feature_names", feature_names),
        ):
            if value is not None:
                form[key] = value
        response = client.post(
            "/api/v1/models", data=form, headers=headers, content_type="multipart/form-data"
        )
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    return upload
