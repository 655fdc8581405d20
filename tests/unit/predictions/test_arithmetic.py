"""A LinearRegression evaluated by its arithmetic (mlapi/predictions/arithmetic.py) answers
bit for bit what its ``predict()`` answers, over many random models and inputs; anything
else is still asked through ``predict()``."""

import numpy as np
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression, Ridge

from mlapi.predictions import arithmetic


def bits(values: np.ndarray) -> np.ndarray:
    """Equal bits, not equal values: -0.0 differs from 0.0, and NaN equals itself."""
    return np.ascontiguousarray(values, dtype=np.float64).view(np.int64)


def random_model(rng: np.random.Generator) -> LinearRegression:
    width = int(rng.integers(1, 40))
    scale = 10.0 ** rng.integers(-6, 7, size=width)
    x = rng.normal(size=(int(rng.integers(width + 1, 3 * width + 5)), width)) * scale
    y = x @ rng.normal(size=width) + rng.normal() * 10.0 ** rng.integers(-3, 4)
    return LinearRegression(
        fit_intercept=bool(rng.integers(2)), positive=bool(rng.integers(2))
    ).fit(x, y)


def random_rows(rng: np.random.Generator, width: int) -> np.ndarray:
    rows = int(rng.integers(1, 101))
    kind = rng.integers(5)
    if kind == 0:  # ordinary values
        matrix = rng.normal(size=(rows, width))
    elif kind == 1:  # magnitudes from subnormal to near overflow, both signs
        matrix = rng.choice([-1.0, 1.0], size=(rows, width)) * 10.0 ** rng.uniform(
            -320, 308, size=(rows, width)
        )
    elif kind == 2:  # small integers, zeros of both signs
        matrix = rng.integers(-3, 4, size=(rows, width)).astype(float) * rng.choice(
            [-1.0, 1.0], size=(rows, width)
        )
    elif kind == 3:  # one repeated row, as a batch of the same sample
        matrix = np.repeat(rng.normal(size=(1, width)) * 1e3, rows, axis=0)
    else:
        matrix = rng.uniform(-1e6, 1e6, size=(rows, width))
    return np.asarray(matrix.tolist(), dtype=np.float64)  # as service._infer builds it


@pytest.mark.parametrize("seed", range(20))
def test_a_linear_regression_answers_bit_for_bit_as_its_predict(seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        model = random_model(rng)
        for _ in range(4):
            matrix = random_rows(rng, model.n_features_in_)
            with np.errstate(over="ignore", invalid="ignore"):
                expected = model.predict(matrix)
                got = arithmetic.predict(model, matrix)
            assert got.shape == expected.shape
            assert (bits(got) == bits(expected)).all()


def test_a_model_fitted_on_named_columns_answers_as_its_predict():
    """Fitted on a table with column names: predict() warns of an array without them, and
    answers all the same."""
    rng = np.random.default_rng(7)
    model = LinearRegression().fit(rng.normal(size=(30, 3)), rng.normal(size=30))
    model.feature_names_in_ = np.array(["age", "bmi", "bp"], dtype=object)
    matrix = rng.normal(size=(5, 3))
    with pytest.warns(UserWarning, match="feature names"):
        expected = model.predict(matrix)

    assert (bits(arithmetic.predict(model, matrix)) == bits(expected)).all()


class Spied(LinearRegression):
    """A subclass may compute anything: it must be asked through predict()."""

    def predict(self, X):
        return np.full(len(X), 42.0)


@pytest.mark.parametrize(
    "model",
    [
        Spied().fit([[0.0], [1.0]], [0.0, 1.0]),
        Ridge().fit([[0.0], [1.0]], [0.0, 1.0]),
        DummyRegressor(constant=42.0, strategy="constant").fit([[0.0], [1.0]], [0.0, 1.0]),
    ],
    ids=["LinearRegression subclass", "Ridge", "DummyRegressor"],
)
def test_other_estimators_answer_through_predict(model, monkeypatch):
    monkeypatch.setattr(type(model), "predict", lambda self, X: np.full(len(X), 42.0))

    assert arithmetic.predict(model, np.zeros((2, 1))).tolist() == [42.0, 42.0]


def test_a_linear_regression_of_several_targets_answers_through_predict():
    model = LinearRegression().fit([[0.0], [1.0], [2.0]], [[0.0, 1.0], [1.0, 3.0], [2.0, 5.0]])
    matrix = np.array([[0.5], [4.0]])

    assert arithmetic.predict(model, matrix).tolist() == model.predict(matrix).tolist()
    assert np.shape(arithmetic.predict(model, matrix)) == (2, 2)


def test_an_unfitted_linear_regression_is_refused_as_predict_refuses_it():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        arithmetic.predict(LinearRegression(), np.zeros((1, 2)))


def test_rows_of_the_wrong_width_are_refused_as_predict_refuses_them():
    model = LinearRegression().fit([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 2.0])

    with pytest.raises(ValueError, match="features"):
        arithmetic.predict(model, np.zeros((1, 3)))
