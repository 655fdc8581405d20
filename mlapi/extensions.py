"""Unbound extensions, initialised in ``create_app``. Libraries only: an extension that
belongs to a domain (the JWT manager: ``mlapi.auth``) is that domain's."""

import json
from functools import partial

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so migrations can alter them on every database (SQLite included).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects keep their loaded state after a commit: a view that commits and then serialises
# what it wrote (every prediction) would otherwise read the row straight back. JSON columns
# (the history) are written strictly: no NaN or Infinity, as everywhere (mlapi/strict_json.py).
ENGINE_OPTIONS = {"json_serializer": partial(json.dumps, allow_nan=False)}
db = SQLAlchemy(
    model_class=Base, session_options={"expire_on_commit": False}, engine_options=ENGINE_OPTIONS
)
migrate = Migrate()
