"""Turning artifact bytes into estimators without executing code from them.

skops' loader refuses any type it does not trust; we trust scikit-learn/numpy/scipy's
defaults plus an explicit allow-list, never the types a file asks for.
"""

from collections.abc import Iterable

import skops.io as sio

from ..errors import ModelLoadError, UntrustedModel

# Types some common scikit-learn estimators need beyond skops' built-in trusted set.
ALLOWED_EXTRA_TYPES: frozenset[str] = frozenset()


def untrusted_types(blob: bytes, allowed: Iterable[str] = ALLOWED_EXTRA_TYPES) -> list[str]:
    return sorted(set(sio.get_untrusted_types(data=blob)) - set(allowed))


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
    if not callable(getattr(estimator, "predict", None)):
        raise ModelLoadError("The file loaded, but it is not an estimator with predict().")
    return estimator
