"""The one pagination helper every collection GET uses.

Body envelope ``{items, page, per_page, total, pages}``, newest first; flask-smorest's own
``@paginate`` is not used because it sends a bare list and an ``X-Pagination`` header.
The queries are Flask-SQLAlchemy's ``db.paginate``, behind ``PageQuery`` (422 for a bad
page or size) and without its 404 past the end (an empty page there).
"""

import math
from dataclasses import dataclass
from functools import cache

import marshmallow as ma
from sqlalchemy import Select

from .database import MAX_ID
from .document import ResponseSchema
from .extensions import db

MAX_PER_PAGE = 100


class PageQuery(ma.Schema):
    page = ma.fields.Integer(
        load_default=1,
        validate=ma.validate.Range(min=1),
        metadata={"description": "1-based page number."},
    )
    per_page = ma.fields.Integer(
        load_default=20,
        validate=ma.validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": "Items per page, at most 100."},
    )


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0


def paginate(stmt: Select, page: int, per_page: int) -> Page:
    """Run ``stmt`` (already filtered and ordered) for one page, with the total count.

    A page past the end is empty. Its offset goes no further than ``MAX_ID`` rows, beyond
    the end of any table (ids stop there), so an absurd page (``10**30``) never reaches SQL
    as an offset it cannot hold; the envelope still names the page asked for."""
    reachable = min(page, MAX_ID // per_page + 2)
    result = db.paginate(
        stmt, page=reachable, per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False
    )
    return Page(items=result.items, page=page, per_page=per_page, total=result.total)


@cache
def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The envelope schema for a page of ``item_schema`` (one class per item schema)."""
    name = item_schema.__name__.removesuffix("Schema") + "Page"
    return ResponseSchema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
            "total": ma.fields.Integer(),
            "pages": ma.fields.Integer(),
        },
        name=name,
    )
