"""The floor of the benchmark: a bare Flask app that only answers predictions.

No authentication, no database, no cache, no validation beyond what numpy does: it loads
the same default model mlapi serves (LinearRegression on scikit-learn's diabetes data,
built and loaded by mlapi's own code, so the estimator is identical) and answers
``POST /predict {"features": [...]}`` with ``{"prediction": ...}``. Whatever mlapi costs
beyond this is the price of its features (bench/run.py measures both side by side).

``gunicorn -c gunicorn.conf.py --pythonpath bench floor_app:app``
"""

import os

for _variable in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402

from mlapi.registry.default_model import build_default_artifact  # noqa: E402
from mlapi.registry.loader import load_artifact  # noqa: E402

artifact, _feature_names = build_default_artifact()
model = load_artifact(artifact)

app = Flask(__name__)


@app.post("/predict")
def predict():
    features = request.get_json()["features"]
    row = np.asarray([features], dtype=np.float64)
    return jsonify(prediction=float(model.predict(row)[0]))


@app.get("/livez")
def livez():
    return {"status": "ok"}
