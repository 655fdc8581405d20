"""Turning artifact bytes into estimators without executing code from them.

The format is told from the content, never from a file name: a zip archive is a skops
file, loaded with skops' safe loader, which refuses any type it does not trust; we trust
scikit-learn/numpy/scipy's defaults plus an explicit allow-list, never the types a file
asks for. A pickle (what joblib writes too) runs arbitrary code when loaded, so it is
refused unless the operator allows pickles (``MLAPI_ALLOW_PICKLE=true``).
"""

import io
from collections.abc import Iterable

import joblib
import skops.io as sio

from ..errors import ModelLoadError, PickleRefused, UntrustedModel

# scikit-learn's own compiled types that common estimators need beyond skops' built-in
# trusted set: trees and tree ensembles, histogram gradient boosting, nearest neighbours.
ALLOWED_EXTRA_TYPES: frozenset[str] = frozenset({
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
})

ZIP_MAGIC = b"PK\x03\x04"
PICKLE_PROTO = 0x80  # first byte of every pickle of protocol 2 or later (joblib's too)


def untrusted_types(blob: bytes, allowed: Iterable[str] = ALLOWED_EXTRA_TYPES) -> list[str]:
    return sorted(set(sio.get_untrusted_types(data=blob)) - set(allowed))


def is_pickle(blob: bytes) -> bool:
    return blob[:1] == bytes([PICKLE_PROTO])


def load_artifact(blob: bytes, *, allow_pickle: bool = False):
    """The estimator in ``blob``: skops safely, pickle only when allowed, else refused."""
    if blob.startswith(ZIP_MAGIC):
        return load_skops(blob)
    if is_pickle(blob):
        if not allow_pickle:
            raise PickleRefused()
        return load_pickle(blob)
    raise ModelLoadError("The file is neither a skops archive nor a pickle; export the "
                         "model with skops (skops.io.dump).")


def load_skops(blob: bytes, allowed: Iterable[str] = ALLOWED_EXTRA_TYPES):
    """Load a skops artifact; refuse untrusted types and things that cannot predict."""
    allowed = frozenset(allowed)
    try:
        refused = untrusted_types(blob, allowed)
        if refused:
            raise UntrustedModel("The model file contains types that are not allowed: "
                                 + ", ".join(refused) + ".")
        trusted = sorted(set(sio.get_untrusted_types(data=blob)) & allowed)
        estimator = sio.loads(blob, trusted=trusted)
    except UntrustedModel:
        raise
    except Exception as exc:  # skops raises many kinds for damaged archives
        raise ModelLoadError() from exc
    return _predictor(estimator)


def load_pickle(blob: bytes):
    """Unpickle ``blob`` (runs its code): only ever called when the operator allows it."""
    try:
        estimator = joblib.load(io.BytesIO(blob))  # plain pickles and joblib's alike
    except Exception as exc:  # a damaged pickle raises anything at all
        raise ModelLoadError() from exc
    return _predictor(estimator)


def _predictor(estimator):
    if not callable(getattr(estimator, "predict", None)):
        raise ModelLoadError("The file loaded, but it is not an estimator with predict().")
    return estimator
