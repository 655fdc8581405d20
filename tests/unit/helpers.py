"""Assertions shared by the unit tests (plain functions, not fixtures)."""

from mlapi.errors import PROBLEM_MIMETYPE


def assert_problem(response, status: int, code: str) -> dict:
    """The response is an RFC 9457 problem with this status and stable code; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_MIMETYPE
    body = response.get_json()
    assert body["status"] == status
    assert body["code"] == code
    assert {"type", "title", "detail"} <= body.keys()
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    return body
