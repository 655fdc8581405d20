"""Loading artifacts: skops only, trusted types only, estimators only; no code from a file runs."""

import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import skops.io as sio
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from mlapi.errors import ModelLoadError, UntrustedModel
from mlapi.registry.loader import load_skops


class HomeMadeModel:
    """Predicts, but is not a type anyone vetted."""

    def predict(self, rows):
        return np.zeros(len(rows))


class RunsCodeWhenUnpickled:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def diabetes():
    data = load_diabetes()
    return data.data, data.target


@pytest.mark.parametrize(
    ("estimator", "classifies"),
    [
        (LinearRegression(), False),
        (make_pipeline(StandardScaler(), LinearRegression()), False),
        (LogisticRegression(max_iter=1000), True),
    ],
    ids=["linear", "pipeline", "logistic"],
)
def test_trusted_estimator_loads_and_predicts_as_saved(diabetes, estimator, classifies):
    x, y = diabetes
    fitted = estimator.fit(x, y > y.mean() if classifies else y)

    loaded = load_skops(sio.dumps(fitted))

    assert np.array_equal(loaded.predict(x[:5]), fitted.predict(x[:5]))


@pytest.mark.parametrize(
    ("estimator", "named"),
    [
        (HomeMadeModel(), f"{__name__}.HomeMadeModel"),
        (make_pipeline(FunctionTransformer(eval), LinearRegression()), "builtins.eval"),
        (make_pipeline(FunctionTransformer(os.system), LinearRegression()), "system"),
    ],
    ids=["custom-class", "eval", "os-system"],
)
def test_untrusted_types_are_refused_by_name(estimator, named):
    with pytest.raises(UntrustedModel) as refused:
        load_skops(sio.dumps(estimator))

    assert named in refused.value.detail
    assert refused.value.code == "untrusted_model"


def test_type_on_the_operators_allow_list_is_loaded():
    blob = sio.dumps(HomeMadeModel())

    loaded = load_skops(blob, allowed={f"{__name__}.HomeMadeModel"})

    assert list(loaded.predict([[1.0], [2.0]])) == [0.0, 0.0]


@pytest.mark.parametrize(
    "thing",
    [{"weights": [1, 2, 3]}, np.arange(3), [1, 2], "model"],
    ids=["dict", "array", "list", "string"],
)
def test_artifact_that_is_not_an_estimator_is_refused(thing):
    with pytest.raises(ModelLoadError, match="not an estimator"):
        load_skops(sio.dumps(thing))


def zip_with(name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    "blob",
    [b"", b"not a model at all", zip_with("schema.json", b"{"), zip_with("readme.txt", b"hello")],
    ids=["empty", "text", "broken-schema", "unrelated-zip"],
)
def test_damaged_or_foreign_file_is_a_load_error(blob):
    with pytest.raises(ModelLoadError) as refused:
        load_skops(blob)

    assert refused.value.code == "model_load_error"


def test_pickle_is_never_unpickled(tmp_path, diabetes):
    marker = tmp_path / "pwned"
    blob = pickle.dumps([RunsCodeWhenUnpickled(marker), LinearRegression().fit(*diabetes)])

    with pytest.raises(ModelLoadError):
        load_skops(blob)

    assert not marker.exists()
