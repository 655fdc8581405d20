"""The one pagination helper: ``{items, page, per_page, total, pages}``, bounds, past the end."""

import marshmallow as ma
import pytest
from sqlalchemy import select

from mlapi.auth.models import User
from mlapi.pagination import MAX_PER_PAGE, Page, PageQuery, page_of, paginate
from mlapi.predictions.schemas import PredictionRecord


@pytest.mark.parametrize(
    ("total", "per_page", "pages"),
    [
        (0, 20, 0),
        (1, 20, 1),
        (20, 20, 1),
        (21, 20, 2),
        (100, 1, 100),
        (101, 100, 2),
    ],
)
def test_pages_is_the_number_of_pages_needed(total, per_page, pages):
    assert Page(items=[], page=1, per_page=per_page, total=total).pages == pages


def test_page_query_defaults_to_the_first_page_of_twenty():
    assert PageQuery().load({}) == {"page": 1, "per_page": 20}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-3"}, "page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": str(MAX_PER_PAGE + 1)}, "per_page"),
        ({"per_page": "ten"}, "per_page"),
    ],
)
def test_page_query_refuses_out_of_range_values(query, field):
    with pytest.raises(ma.ValidationError) as refused:
        PageQuery().load(query)

    assert field in refused.value.messages


def test_page_query_accepts_the_largest_page_size():
    assert PageQuery().load({"per_page": "100"})["per_page"] == MAX_PER_PAGE


def test_envelope_schema_dumps_the_body_shape():
    page = Page(items=[], page=2, per_page=5, total=6)

    assert page_of(PredictionRecord)().dump(page) == {
        "items": [],
        "page": 2,
        "per_page": 5,
        "total": 6,
        "pages": 2,
    }


@pytest.fixture
def usernames(make_user) -> list[str]:
    return [make_user(f"user{i}").username for i in range(5)]


@pytest.mark.parametrize(
    ("page", "per_page", "expected"),
    [
        (1, 2, ["user0", "user1"]),
        (3, 2, ["user4"]),
        (4, 2, []),
        (10**30, 100, []),
    ],
)
def test_paginate_returns_one_page_and_the_total(app, usernames, page, per_page, expected):
    stmt = select(User).where(User.username.in_(usernames)).order_by(User.id)

    with app.app_context():
        result = paginate(stmt, page, per_page)
        names = [user.username for user in result.items]

    assert names == expected
    assert result.total == 5
