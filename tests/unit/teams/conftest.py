"""Teams made through the API, shared by the tests of this folder."""

import pytest

TEAMS = "/api/v1/teams"


def team_url(team_id: int, username: str | None = None) -> str:
    url = f"{TEAMS}/{team_id}"
    return f"{url}/members/{username}" if username else url


@pytest.fixture
def create_team(client):
    """Create a team through the API as the caller ``headers`` signs in; its body."""

    def create(headers: dict, name: str = "risk") -> dict:
        response = client.post(TEAMS, json={"name": name}, headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create


@pytest.fixture
def set_role(client):
    def set_role(headers: dict, team_id: int, username: str, role: str = "member"):
        return client.put(team_url(team_id, username), json={"role": role}, headers=headers)

    return set_role
