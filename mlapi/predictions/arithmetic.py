"""A linear regression's answer computed as scikit-learn computes it, without its per-call
input checks (issue 17: for a 10-feature LinearRegression, ``predict()``'s
``validate_data`` costs several times the arithmetic).

``LinearRegression.predict(X)`` is ``validate_data(X)`` then ``X @ coef_ + intercept_``
(``LinearModel._decision_function``, one target: ``coef_`` one-dimensional). Here ``X`` is
already what ``validate_data`` would hand on unchanged: a C-ordered float64 matrix
(``service._infer``) of finite numbers (``bodies``), as wide as the model
(``inputs.rows_for``; checked again below). The same operation on the same operands gives
the same bits: tests/unit/predictions/test_arithmetic.py compares the two, bit for bit,
over many random models and inputs. Only that exact type is taken; a subclass, another
estimator, or a fitted state unlike the above goes through ``predict()``.
"""

import numpy as np
from sklearn.linear_model import LinearRegression


def predict(estimator, matrix: np.ndarray) -> np.ndarray:
    """``estimator.predict(matrix)``, by its arithmetic alone for a one-target
    LinearRegression."""
    if type(estimator) is LinearRegression:
        coef = getattr(estimator, "coef_", None)  # absent: not fitted, predict() says so
        if (
            type(coef) is np.ndarray
            and coef.ndim == 1
            and coef.dtype == np.float64
            and matrix.shape[1:] == coef.shape
        ):
            return matrix @ coef + estimator.intercept_
    return estimator.predict(matrix)
