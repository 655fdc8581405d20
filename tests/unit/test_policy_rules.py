"""Rules of the access policy that the table in test_policy.py leaves implicit: who counts
as the owner, that admin rights come from the role alone, and what a refusal says.

Written to kill mutants that survived ``tox -e mutation`` (mlapi/policy.py).
"""

from types import SimpleNamespace

import pytest

from mlapi.errors import Forbidden
from mlapi.policy import Area, authorize, may


def actor(user_id: int, *, admin: bool = False) -> SimpleNamespace:
    return SimpleNamespace(id=user_id, is_admin=admin)


def model(owner_id: int, visibility: str = "private") -> SimpleNamespace:
    return SimpleNamespace(
        policy_kind="model", owner_id=owner_id, team_id=None, visibility=visibility
    )


def test_an_area_made_at_run_time_is_governed_by_its_kind():
    area = Area("admin")

    assert area.policy_kind == "admin"
    assert may(actor(1, admin=True), "access", area) is True
    assert may(actor(1), "access", area) is False


@pytest.mark.parametrize("visibility", ["private", "unlisted", "PUBLIC", ""])
def test_only_the_exact_public_visibility_opens_a_model_to_others(visibility):
    assert may(actor(2), "view", model(1, visibility)) is False
    assert may(actor(2), "predict", model(1, visibility)) is False


def test_ownership_is_by_id_not_by_being_signed_in():
    assert may(actor(7), "update", model(7)) is True
    assert may(actor(8), "update", model(7)) is False
    assert may(actor(6), "delete", model(7)) is False


def test_an_admin_owner_is_still_the_owner_for_feedback():
    prediction = SimpleNamespace(policy_kind="prediction", owner_id=5)

    assert may(actor(5, admin=True), "feedback", prediction) is True
    assert may(actor(4, admin=True), "feedback", prediction) is False


def test_a_refusal_is_a_403_problem_carrying_the_detail():
    with pytest.raises(Forbidden) as refused:
        authorize(actor(2), "delete", model(1, "public"), "Only the owner may delete it.")

    assert refused.value.code == "forbidden"
    assert refused.value.status == 403
    assert refused.value.detail == "Only the owner may delete it."


def test_a_refusal_without_a_detail_keeps_the_standard_one():
    with pytest.raises(Forbidden) as refused:
        authorize(actor(2), "metrics", model(1))

    assert refused.value.detail == Forbidden.detail


def test_authorize_lets_the_allowed_through_silently():
    assert authorize(actor(1), "delete", model(1)) is None
    assert authorize(actor(9, admin=True), "metrics", model(1)) is None
