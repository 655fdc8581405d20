"""Turning artifact bytes into estimators without executing code from them
(docs/decisions.md#the-model-registry, docs/security.md#api10-unsafe-consumption-of-apis).

The format is told from the content, never from a file name. Checks run before anything is
built: an archive's declared unpacked size (uploads), then its schema's node count; the
tree-like types skops refuses are checked array by array (tree_checks.py) at every load.
"""

import bz2
import io
import lzma
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import joblib
import numpy as np
import skops.io as sio

from ..errors import ModelLoadError, PayloadTooLarge, PickleRefused, UntrustedModel
from .tree_checks import DamagedTree, check_estimator

# scikit-learn's own compiled types that common estimators need beyond skops' built-in
# trusted set: trees and tree ensembles, histogram gradient boosting, nearest neighbours.
ALLOWED_EXTRA_TYPES: frozenset[str] = frozenset(
    {
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
    }
)

ZIP_MAGIC = b"PK\x03\x04"
SCHEMA = "schema.json"  # a skops archive's description of every object in it
SCHEMA_CHUNK = 64 * 1024
PICKLE_PROTO = 0x80  # first byte of every pickle of protocol 2 or later (joblib's too)


@dataclass(frozen=True)
class ModelLimits:
    """How big a model may be (``MLAPI_MAX_MODEL_NODES``, ``MLAPI_MAX_CLASSES``)."""

    max_nodes: int = 100_000  # JSON objects and arrays in a skops schema
    max_classes: int = 1_000

    @classmethod
    def of(cls, config: Mapping) -> "ModelLimits":
        return cls(max_nodes=config["MAX_MODEL_NODES"], max_classes=config["MAX_CLASSES"])


def untrusted_types(blob: bytes, allowed: Iterable[str] = ALLOWED_EXTRA_TYPES) -> list[str]:
    return sorted(set(sio.get_untrusted_types(data=blob)) - set(allowed))


# joblib's compressed files: the pickle inside a zlib, gzip, bz2, xz or lzma stream.
_COMPRESSED_PICKLES = {
    b"\x78": zlib.decompressobj,
    b"\x1f\x8b": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
    b"BZh": bz2.BZ2Decompressor,
    b"\xfd7zXZ\x00": lzma.LZMADecompressor,
    b"]\x00\x00": lzma.LZMADecompressor,
}


def is_pickle(blob: bytes) -> bool:
    """A pickle, plain or compressed by joblib (only its first byte is inflated)."""
    if blob[:1] == bytes([PICKLE_PROTO]):
        return True
    for magic, decompressor in _COMPRESSED_PICKLES.items():
        if blob.startswith(magic):
            try:
                return decompressor().decompress(blob, 1) == bytes([PICKLE_PROTO])
            except (zlib.error, OSError, EOFError, lzma.LZMAError):
                return False
    return False


def check_unpacked_size(blob: bytes, max_bytes: int) -> None:
    """413 when the archive's entries unpack to more than ``max_bytes`` in all."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ModelLoadError() from exc
    if unpacked > max_bytes:
        raise PayloadTooLarge(
            f"The model archive unpacks to {unpacked} bytes; models may "
            f"be at most {max_bytes} bytes unpacked on this server."
        )


def check_schema_nodes(blob: bytes, max_nodes: int) -> None:
    """422 when the archive's schema may describe more than ``max_nodes`` objects.

    Every JSON object and array of schema.json starts with ``{`` or ``[``, so counting
    those bytes (strings included: an upper bound) counts its nodes without parsing or
    building anything; the schema is inflated a chunk at a time and the count stops as
    soon as it passes the cap."""
    counted = 0
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive, archive.open(SCHEMA) as schema:
            while chunk := schema.read(SCHEMA_CHUNK):
                counted += chunk.count(b"{") + chunk.count(b"[")
                if counted > max_nodes:
                    raise ModelLoadError(
                        f"The model file describes more than {max_nodes} objects; models "
                        f"may have at most that many on this server."
                    )
    except (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        OSError,
        EOFError,
        zlib.error,
        lzma.LZMAError,
    ) as exc:
        raise ModelLoadError() from exc


def load_artifact(
    blob: bytes,
    *,
    allow_pickle: bool = False,
    max_unpacked_bytes: int | None = None,
    limits: ModelLimits = ModelLimits(),
):
    """The estimator in ``blob``: skops safely, pickle only when allowed, else refused.
    ``max_unpacked_bytes``: refuse an archive that unpacks to more (uploads)."""
    if blob.startswith(ZIP_MAGIC):
        if max_unpacked_bytes is not None:
            check_unpacked_size(blob, max_unpacked_bytes)
        return load_skops(blob, limits=limits)
    if is_pickle(blob):
        if not allow_pickle:
            raise PickleRefused()
        return load_pickle(blob, limits=limits)
    raise ModelLoadError(
        "The file is neither a skops archive nor a pickle; export the "
        "model with skops (skops.io.dump)."
    )


def load_skops(
    blob: bytes,
    allowed: Iterable[str] = ALLOWED_EXTRA_TYPES,
    *,
    limits: ModelLimits = ModelLimits(),
):
    """Load a skops artifact; refuse big schemas, untrusted types, damaged trees and
    things that cannot predict."""
    allowed = frozenset(allowed)
    check_schema_nodes(blob, limits.max_nodes)
    try:
        refused = untrusted_types(blob, allowed)
        if refused:
            raise UntrustedModel(
                "The model file contains types that are not allowed: " + ", ".join(refused) + "."
            )
        trusted = sorted(set(sio.get_untrusted_types(data=blob)) & allowed)
        estimator = sio.loads(blob, trusted=trusted)
    except UntrustedModel:
        raise
    except Exception as exc:  # skops raises many kinds for damaged archives
        raise ModelLoadError() from exc
    return _predictor(estimator, limits)


def load_pickle(blob: bytes, *, limits: ModelLimits = ModelLimits()):
    """Unpickle ``blob`` (runs its code): only ever called when the operator allows it."""
    try:
        estimator = joblib.load(io.BytesIO(blob))  # plain pickles and joblib's alike
    except Exception as exc:  # a damaged pickle raises anything at all
        raise ModelLoadError() from exc
    return _predictor(estimator, limits)


def _predictor(estimator, limits: ModelLimits):
    if not callable(getattr(estimator, "predict", None)):
        raise ModelLoadError("The file loaded, but it is not an estimator with predict().")
    try:
        check_estimator(estimator)
    except DamagedTree as exc:
        raise ModelLoadError(f"The model's trees are damaged: {exc}.") from exc
    except Exception as exc:  # arrays of the wrong type or shape fail in numpy's own ways
        raise ModelLoadError("The model's trees could not be checked.") from exc
    classes = getattr(estimator, "classes_", None)
    if classes is not None and _class_count(classes) > limits.max_classes:
        raise ModelLoadError(
            f"The classifier has {_class_count(classes)} classes; models "
            f"may have at most {limits.max_classes} on this server."
        )
    return estimator


def _class_count(classes) -> int:
    """All outputs' classes together (a multi-output classifier lists one array each)."""
    if isinstance(classes, list):
        return sum(int(np.size(c)) for c in classes)
    return int(np.size(classes))
