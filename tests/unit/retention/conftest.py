"""A model and its signed-in owner, made after the test has chosen its retention settings
(``configured_app``)."""

from dataclasses import dataclass

import pytest

from tests.model_records import add_model


@dataclass
class Owner:
    id: int
    headers: dict


@pytest.fixture
def stored_model_for(request):
    """``stored_model_for(app)`` -> (owner, model id): a regression model and its owner."""

    def make(app) -> tuple[Owner, int]:
        user = request.getfixturevalue("make_user")()
        owner = Owner(user.id, request.getfixturevalue("sign_in")(user).headers)
        return owner, add_model(app, owner.id, "sales")

    return make
