"""The model every install starts with: LinearRegression on scikit-learn's diabetes data.

The data ships with scikit-learn (no download) and the fit is deterministic; the skops
archive is written with fixed timestamps and renumbered node ids (skops names nodes and
array files by ``id()``, which differs per process), so every install stores the same bytes
and the same sha256, and a host whose store lacks the artifact can rebuild it exactly.
"""

import io
import json
import logging
import zipfile

import skops.io as sio
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sqlalchemy import select

from ..audit.service import record as audit
from ..auth.service import ensure_system_account
from ..extensions import db
from .models import TASK_REGRESSION, VISIBILITY_PUBLIC, MLModel, full_name
from .store import ModelStore, sha256_of

log = logging.getLogger("mlapi.registry")

DEFAULT_MODEL_NAME = "diabetes-linear"
DEFAULT_MODEL_DESCRIPTION = (
    "Linear regression of disease progression one year after "
    "baseline, from scikit-learn's diabetes data set."
)
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def build_default_artifact() -> tuple[bytes, list[str]]:
    data = load_diabetes()
    model = LinearRegression().fit(data.data, data.target)
    return _canonical(sio.dumps(model)), list(data.feature_names)


def _canonical(archive: bytes) -> bytes:
    """The same archive with ids numbered in order of appearance and fixed timestamps."""
    numbers: dict[str, str] = {}

    def number(object_id) -> str:
        return numbers.setdefault(str(object_id), str(len(numbers) + 1))

    def renumber(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "__id__":
                    node[key] = int(number(value))
                elif key == "file" and isinstance(value, str) and value.endswith(".npy"):
                    node[key] = number(value.removesuffix(".npy")) + ".npy"
                else:
                    renumber(value)
        elif isinstance(node, list):
            for item in node:
                renumber(item)

    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        schema = json.loads(src.read("schema.json"))
        renumber(schema)
        files = {"schema.json": json.dumps(schema, indent=2).encode()}
        for name in src.namelist():
            if name.endswith(".npy"):
                files[number(name.removesuffix(".npy")) + ".npy"] = src.read(name)
        for name in sorted(files):
            dst.writestr(zipfile.ZipInfo(name, _FIXED_ZIP_TIME), files[name])
    return out.getvalue()


def ensure_default_model(store: ModelStore) -> MLModel:
    """Create the default model, or restore its artifact; idempotent. Caller commits (a
    database store's artifact row is committed with the record)."""
    record = db.session.execute(
        select(MLModel).where(MLModel.is_default.is_(True))
    ).scalar_one_or_none()
    if record is not None and store.exists(record.sha256):
        return record
    artifact, feature_names = build_default_artifact()
    if record is not None:
        if sha256_of(artifact) == record.sha256:
            store.put(artifact)
        else:
            log.error(
                "default model artifact %s is missing and cannot be rebuilt "
                "byte-for-byte with this scikit-learn",
                record.sha256[:12],
            )
        return record
    record = MLModel(
        owner=ensure_system_account(),
        name=DEFAULT_MODEL_NAME,
        version=1,
        model_type="sklearn",
        task=TASK_REGRESSION,
        n_features=len(feature_names),
        feature_names=feature_names,
        classes=None,
        visibility=VISIBILITY_PUBLIC,
        description=DEFAULT_MODEL_DESCRIPTION,
        sha256=store.put(artifact),
        size_bytes=len(artifact),
        is_default=True,
    )
    db.session.add(record)
    db.session.flush()  # its id, for the audit record
    details = {"full_name": full_name(record), "version": 1, "previous_model_id": None}
    audit("default_model.changed", "model", record.id, details, system=True)
    return record
