"""Models to predict with, stored directly (the upload endpoint is tested on its own)."""

from dataclasses import dataclass

import pytest

from mlapi.predictions import service
from tests.model_records import add_model
from tests.unit.helpers import spy


@dataclass
class Person:
    id: int
    headers: dict


@pytest.fixture
def person(make_user, sign_in):
    """A signed-in user: ``person()`` or ``person(role="admin")``."""

    def make(**kwargs) -> Person:
        user = make_user(**kwargs)
        return Person(user.id, sign_in(user).headers)

    return make


@pytest.fixture
def alice(person) -> Person:
    return person()


@pytest.fixture
def bob(person) -> Person:
    return person()


@pytest.fixture
def stored_model(app):
    """``stored_model(owner, name, kind=..., visibility=..., feature_names=...)`` -> id."""

    def store(owner: Person, name: str = "churn", **kwargs) -> int:
        return add_model(app, owner.id, name, **kwargs)

    return store


@pytest.fixture
def model_calls(monkeypatch) -> list[list[tuple]]:
    """Every call to a model, in any app of the test, as the rows it was asked about."""
    return spy(monkeypatch, service, "_infer", lambda _record, rows, _field: list(rows))
