"""The one pagination helper every collection GET uses.

Body envelope ``{items, page, per_page, total, pages}``, newest first; flask-smorest's own
``@paginate`` is not used because it sends a bare list and an ``X-Pagination`` header.
"""

import math
from dataclasses import dataclass
from functools import cache

import marshmallow as ma
from sqlalchemy import Select, func, select

from .extensions import db

MAX_PER_PAGE = 100


class PageQuery(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1),
                             metadata={"description": "1-based page number."})
    per_page = ma.fields.Integer(load_default=20,
                                 validate=ma.validate.Range(min=1, max=MAX_PER_PAGE),
                                 metadata={"description": "Items per page, at most 100."})


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
    """Run ``stmt`` (already filtered and ordered) for one page, with the total count."""
    total = db.session.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    offset = (page - 1) * per_page
    if offset >= total:  # past the end; also keeps absurd offsets out of SQL
        return Page(items=[], page=page, per_page=per_page, total=total)
    items = db.session.execute(stmt.limit(per_page).offset(offset)).scalars()
    return Page(items=list(items), page=page, per_page=per_page, total=total)


@cache
def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The envelope schema for a page of ``item_schema`` (one class per item schema)."""
    name = item_schema.__name__.removesuffix("Schema") + "Page"
    return ma.Schema.from_dict({
        "items": ma.fields.List(ma.fields.Nested(item_schema)),
        "page": ma.fields.Integer(),
        "per_page": ma.fields.Integer(),
        "total": ma.fields.Integer(),
        "pages": ma.fields.Integer(),
    }, name=name)
