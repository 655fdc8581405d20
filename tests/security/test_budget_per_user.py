"""A user's API keys do not multiply their budgets (issue 14, item 8):
the prediction budget and the default budget are the user's, shared by every token and key.
"""

from tests.unit.helpers import ROW, assert_problem

KEYS = "/api/v1/auth/api-keys"
PREDICT = "/api/v1/predict"
ME = "/api/v1/users/me"


def _keys(client, session: dict, count: int) -> list[dict]:
    keys = []
    for n in range(count):
        response = client.post(KEYS, json={"name": f"script-{n}"}, headers=session)
        assert response.status_code == 201, response.get_json()
        keys.append({"X-API-Key": response.get_json()["key"]})
    return keys


def test_two_api_keys_of_one_user_share_one_prediction_budget(configured_app, request):
    configured_app(RATELIMIT_PREDICT="3/minute")
    client, user = request.getfixturevalue("client"), request.getfixturevalue("user")
    session = request.getfixturevalue("sign_in")(user).headers
    first, second = _keys(client, session, 2)

    answers = [
        client.post(PREDICT, json={"features": ROW}, headers=key) for key in (first, second, first)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]

    assert_problem(
        client.post(PREDICT, json={"features": ROW}, headers=second), 429, "rate_limited"
    )
    assert_problem(
        client.post(PREDICT, json={"features": ROW}, headers=session), 429, "rate_limited"
    )


def test_api_keys_do_not_multiply_the_default_budget(configured_app, request):
    configured_app(RATELIMIT_DEFAULT="4/minute")
    client, user = request.getfixturevalue("client"), request.getfixturevalue("user")
    session = request.getfixturevalue("sign_in")(user).headers
    keys = _keys(client, session, 3)  # 3 of the user's 4 requests

    assert client.get(ME, headers=keys[0]).status_code == 200
    for key in keys:
        assert_problem(client.get(ME, headers=key), 429, "rate_limited")


def test_another_users_budget_is_untouched(configured_app, request):
    configured_app(RATELIMIT_PREDICT="1/minute")
    client, make_user = request.getfixturevalue("client"), request.getfixturevalue("make_user")
    sign_in = request.getfixturevalue("sign_in")
    alice, bob = sign_in(make_user()).headers, sign_in(make_user()).headers
    (key,) = _keys(client, alice, 1)

    assert client.post(PREDICT, json={"features": ROW}, headers=key).status_code == 200
    assert_problem(client.post(PREDICT, json={"features": ROW}, headers=alice), 429, "rate_limited")
    assert client.post(PREDICT, json={"features": ROW}, headers=bob).status_code == 200
