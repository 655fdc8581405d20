"""The model registry: upload, list, read, update and delete models."""

from ..api import ApiBlueprint

blp = ApiBlueprint("models", __name__, url_prefix="/api/v1",
                   description="Upload, version, share and delete scikit-learn models.")
