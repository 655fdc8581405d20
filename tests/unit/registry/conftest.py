"""The people and the team of the team-model tests (test_team_models.py, test_team_moves.py)."""

import pytest


@pytest.fixture
def people(make_user, sign_in):
    """Alice and Bob maintain the team risk, Mia is a member, Nora is not in it."""
    users = {name: make_user(name) for name in ("alice", "bob", "mia", "nora")}
    headers = {name: sign_in(user).headers for name, user in users.items()}
    return users, headers


@pytest.fixture
def risk(people, seed_team):
    users, _ = people
    return seed_team("risk", maintainers=[users["alice"], users["bob"]], members=[users["mia"]])
