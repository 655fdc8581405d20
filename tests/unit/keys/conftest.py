"""What the API key tests share."""

import pytest

KEYS = "/api/v1/auth/api-keys"


@pytest.fixture
def create_key(client, auth_headers):
    """A key created through the API (the signed-in user's, unless ``headers`` say whose)."""

    def create(headers=None, **body):
        response = client.post(KEYS, json={"name": "job", **body}, headers=headers or auth_headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create
