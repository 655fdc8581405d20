"""Upload forms, changes and model records of the registry."""

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate
from werkzeug.datastructures import FileStorage

from ..auth.schemas import USERNAME_PATTERN, FullMatch
from ..document import ResponseSchema
from ..pagination import PageQuery
from ..timeutil import UTCDateTime
from .models import VISIBILITY_PRIVATE, VISIBILITY_PUBLIC, full_name

MODEL_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,100}$"
MODEL_TYPES = ("sklearn",)
VISIBILITIES = (VISIBILITY_PRIVATE, VISIBILITY_PUBLIC)
MAX_FEATURE_NAME = 200
# A class label as scikit-learn keeps it and the API sends it: a number, a string or a
# boolean; a model of several outputs has a list per output (its classes) or a list of
# values (its predictions).
CLASS_LABEL = {"oneOf": [{"type": "number"}, {"type": "string"}, {"type": "boolean"}]}
LABELS_OR_LABEL = {"oneOf": [*CLASS_LABEL["oneOf"], {"type": "array", "items": CLASS_LABEL}]}

# Swagger UI fills the upload form's text fields with these (the file is yours to pick: a
# model of ten features, like the built-in one, fits the feature names).
UPLOAD_EXAMPLE = {
    "name": "diabetes-ridge",
    "model_type": "sklearn",
    "description": "Ridge regression of disease progression.",
    "feature_names": "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6",
}
MODEL_CHANGES_EXAMPLE = {
    "description": "Ridge regression, alpha 0.5, on the diabetes data.",
    "visibility": VISIBILITY_PUBLIC,
}


def _model_name(**kwargs) -> ma.fields.String:
    return ma.fields.String(
        validate=[
            FullMatch(MODEL_NAME_PATTERN, error="Use 1 to 100 letters, digits, '_', '.' or '-'."),
            # The full name <owner>/<name> is a path: these two would mean something else.
            validate.NoneOf((".", ".."), error="'.' and '..' cannot be model names."),
        ],
        metadata={"example": UPLOAD_EXAMPLE["name"]},
        **kwargs,
    )


def _visibility(description: str = "", **kwargs) -> ma.fields.String:
    return ma.fields.String(
        validate=validate.OneOf(VISIBILITIES),
        metadata={
            "description": "`private`: you (or your team) and admins only; `public`: every "
            "signed-in user." + description
        },
        **kwargs,
    )


class TeamName(ma.fields.String):
    """A team's name; empty means none (a form's field left blank, as Swagger UI sends it)."""

    _rule = FullMatch(USERNAME_PATTERN, error="No team of that name has you as a member.")

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return self._rule(text) if text else None


def _team(description: str, *, in_form: bool = False, **kwargs) -> TeamName:
    metadata = {"description": description, "pattern": r"^([A-Za-z0-9_.-]{3,32})?$"}
    if in_form:  # a blank field stands for "no team" (Swagger UI fills it with this)
        metadata["example"] = ""
    return TeamName(metadata=metadata, **kwargs)


def _description(**kwargs) -> ma.fields.String:
    return ma.fields.String(validate=validate.Length(max=1000), **kwargs)


class ModelFile(Upload):
    """A file part of the form (a text part of the same name is refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ma.ValidationError("Send the model as a file part of the form.")
        return value


class FeatureNames(ma.fields.String):
    """Comma-separated names -> a list; each name non-empty and used once."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        names = [name.strip() for name in text.split(",")]
        if any(not name or len(name) > MAX_FEATURE_NAME for name in names):
            raise ma.ValidationError(
                f"Separate names with commas; each 1 to {MAX_FEATURE_NAME} characters."
            )
        if len(set(names)) != len(names):
            raise ma.ValidationError("Each feature name may appear only once.")
        return names


class UploadForm(ma.Schema):
    file = ModelFile(
        required=True,
        metadata={
            "description": "The model: a skops archive (pickle/joblib only where the operator "
            "allows it). The format is told from the content."
        },
    )
    name = _model_name(required=True)
    model_type = ma.fields.String(
        required=True,
        validate=validate.OneOf(MODEL_TYPES, error="Must be one of: {choices}."),
        metadata={"example": UPLOAD_EXAMPLE["model_type"]},
    )
    description = _description(metadata={"example": UPLOAD_EXAMPLE["description"]})
    visibility = _visibility(
        " A name that has a live version keeps its visibility: this is then not used.",
        load_default=VISIBILITY_PRIVATE,
    )
    team = _team(
        "A team you maintain: the model becomes the team's (its members may use it, its "
        "maintainers manage it). Left out or empty: the model is yours.",
        in_form=True,
    )
    feature_names = FeatureNames(
        validate=validate.Length(max=100_000),
        metadata={
            "description": "Comma-separated, one per feature, in the model's input order. "
            "Left out: the names the model was trained with, if any.",
            "example": UPLOAD_EXAMPLE["feature_names"],
        },
    )


class ModelChanges(ma.Schema):
    description = _description(
        allow_none=True, metadata={"description": "This version's description."}
    )
    visibility = _visibility(" Every live version of the name takes it.")
    team = _team(
        "Move every version of this name (deleted ones and aliases too, version numbers "
        "kept) into a team you maintain; `null` moves it back to whoever uploaded version 1.",
        allow_none=True,
    )


class Owner(ResponseSchema):
    id = ma.fields.Integer()
    username = ma.fields.String()


class TeamRef(ResponseSchema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class ModelRecord(ResponseSchema):
    SOMETIMES_ABSENT = ("classes",)

    id = ma.fields.Integer()
    name = ma.fields.String()
    version = ma.fields.Integer()
    model_type = ma.fields.String()
    task = ma.fields.String(metadata={"enum": ["regression", "classification"]})
    n_features = ma.fields.Integer()
    feature_names = ma.fields.List(ma.fields.String(), allow_none=True)
    classes = ma.fields.List(
        ma.fields.Raw(metadata=LABELS_OR_LABEL),
        metadata={
            "description": "Classifiers only: the class labels the model predicts (for a model "
            "of several outputs, one list per output)."
        },
    )
    visibility = ma.fields.String(metadata={"enum": list(VISIBILITIES)})
    owner = ma.fields.Nested(Owner)
    team = ma.fields.Nested(
        TeamRef,
        allow_none=True,
        metadata={"description": "The team the model belongs to (it decides access), or null."},
    )
    uploaded_by = ma.fields.Nested(Owner, metadata={"description": "Who uploaded this version."})
    full_name = ma.fields.Method(
        "_full_name",
        metadata={"type": "string", "description": "`<owner or team>/<name>`."},
    )
    description = ma.fields.String(allow_none=True)
    sha256 = ma.fields.String(metadata={"description": "Hex SHA-256 of the uploaded file."})
    size_bytes = ma.fields.Integer()
    created_at = UTCDateTime()

    def _full_name(self, record) -> str:
        return full_name(record)

    @ma.post_dump
    def drop_absent_classes(self, data, **_kwargs):
        if data.get("classes") is None:
            data.pop("classes", None)
        return data


class ModelQuery(PageQuery):
    name = ma.fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Only models of exactly this name."},
    )
    owner = ma.fields.String(
        validate=validate.OneOf(["me"]),
        metadata={"description": "`me`: only the models under your own name (not your teams')."},
    )
    team = ma.fields.String(
        validate=validate.Length(min=1, max=32),
        metadata={
            "description": "Only this team's models that you may see (its public ones when you "
            "are not a member; none for an unknown team)."
        },
    )
