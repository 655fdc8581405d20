"""Rate limits: budgets per user, per sign-in address and per account.

Steps of features/rate_limits.feature. The budgets a scenario states ("the service allows
3 requests a minute ...") change the settings of the scenario's app, so they must come
before any step that uses the service (put them first in the Background). A guesser, and
each "different address", is a client of its own with no cookies: never a known device.
Alice's laptop is one client, kept for the scenario, that keeps the cookie it is given.
"""

import pytest
from pytest_bdd import given, parsers, then, when

from tests.steps.common_steps import assert_refused
from tests.steps.prediction_steps import PREDICT, patient

LOGIN = "/api/v1/auth/login"
PROFILE = "/api/v1/users/me"
BATCH = "/api/v1/batch-predict"
KEYS = "/api/v1/auth/api-keys"
WRONG_PASSWORD = "not-the-password"

# What a person does, as the When steps below say it -> (method, path, body).
ACTIVITIES = {
    "profile": ("GET", PROFILE, None),
    "prediction": ("POST", PREDICT, {"features": patient()}),
    "batch": ("POST", BATCH, {"samples": [patient(), patient()]}),
}


@pytest.fixture
def attempts() -> dict[str, list]:
    """What the scenario's steps sent, by who sent it as the steps say it: "the guesser"
    (every wrong or right guess at a password), or a person's name (their requests)."""
    return {}


@pytest.fixture
def own_sign_ins() -> dict[str, list]:
    """Each person's own sign-ins, by name."""
    return {}


@pytest.fixture
def laptops() -> dict:
    """Each person's own client (it keeps its cookies), by name."""
    return {}


@pytest.fixture
def addresses():
    """A fresh client address for each call: ``next(addresses)``."""
    return (f"198.51.100.{n}" for n in range(1, 255))


def _budget(app_config, request, setting: str, count: int) -> None:
    assert "app" not in request.fixturenames, (
        "budgets must be set before the service is used: put this step first"
    )
    app_config[setting] = f"{count}/minute"


@given(parsers.parse("the service allows {count:d} requests a minute per person"))
def requests_budget(app_config, request, count):
    _budget(app_config, request, "RATELIMIT_DEFAULT", count)


@given(parsers.parse("the service allows {count:d} predictions a minute per person"))
def predictions_budget(app_config, request, count):
    _budget(app_config, request, "RATELIMIT_PREDICT", count)


@given(parsers.parse("the service allows {count:d} sign-in attempts a minute from one address"))
def sign_in_budget(app_config, request, count):
    _budget(app_config, request, "RATELIMIT_LOGIN", count)


@given(parsers.parse("the service allows {count:d} failed sign-ins a minute per account"))
def failed_sign_in_budget(app_config, request, count):
    _budget(app_config, request, "RATELIMIT_LOGIN_ACCOUNT", count)


LAPTOP_ADDRESS = "192.0.2.10"
GUESSER = "the guesser"


def _sign_in(conversation, identifier: str, password: str, address: str, *, client=None, **headers):
    """A sign-in from ``client`` (default: a new one, with no cookies) at ``address``."""
    client = client or conversation.client.application.test_client()
    return client.post(
        LOGIN,
        json={"username": identifier, "password": password},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def _laptop(conversation, laptops, name):
    if name not in laptops:
        laptops[name] = conversation.client.application.test_client()
    return laptops[name]


@given(parsers.parse('{name} has created the API keys "{first}" and "{second}"'))
def created_keys(conversation, name, first, second):
    for key_name in (first, second):
        response = conversation.call("POST", KEYS, as_person=name, json={"name": key_name})
        assert response.status_code == 201, response.get_json()
        conversation.keys[(name, key_name)] = response.get_json()


def _guess(conversation, attempts, addresses, identifier: str, password: str):
    guess = _sign_in(conversation, identifier, password, next(addresses))
    attempts.setdefault(GUESSER, []).append(guess)
    return guess


@given(parsers.parse("someone has guessed {name}'s password wrong once"))
@when(parsers.parse("someone guesses {name}'s password wrong once more"), target_fixture="answer")
def guess_once(conversation, attempts, addresses, name):
    return _guess(
        conversation, attempts, addresses, conversation.person(name).username, WRONG_PASSWORD
    )


@when(
    parsers.re(
        r"someone guesses (?P<name>\w+)'s password wrong (?P<count>\d+) times with "
        r"(?:her|his|their) email address"
    ),
    target_fixture="answer",
)
def guess_by_email(conversation, attempts, addresses, name, count):
    return [
        _guess(conversation, attempts, addresses, conversation.person(name).email, WRONG_PASSWORD)
        for _ in range(int(count))
    ]


@when(
    parsers.parse("someone tries {name}'s real password from another address"),
    target_fixture="answer",
)
def guess_right(conversation, attempts, addresses, name):
    person = conversation.person(name)
    return _guess(conversation, attempts, addresses, person.username, person.password)


@given(
    parsers.parse(
        "someone has guessed {name}'s password wrong {count:d} times from different addresses"
    )
)
@when(
    parsers.parse(
        "someone guesses {name}'s password wrong {count:d} times from different addresses"
    ),
    target_fixture="answer",
)
def guess_many(conversation, attempts, addresses, name, count):
    return [guess_once(conversation, attempts, addresses, name) for _ in range(count)]


def _signs_in(own_sign_ins, name, response):
    own_sign_ins.setdefault(name, []).append(response)
    return response


@when(
    parsers.parse("{name} signs in correctly {count:d} times from different addresses"),
    target_fixture="answer",
)
def sign_in_correctly(conversation, own_sign_ins, addresses, name, count):
    person = conversation.person(name)
    return [
        _signs_in(
            own_sign_ins,
            name,
            _sign_in(conversation, person.username, person.password, next(addresses)),
        )
        for _ in range(count)
    ]


@given(parsers.re(r"(?P<name>\w+) has signed in from (?:her|his|their) laptop before"))
def signed_in_from_laptop(conversation, laptops, name):
    person = conversation.person(name)
    response = _sign_in(
        conversation,
        person.username,
        person.password,
        LAPTOP_ADDRESS,
        client=_laptop(conversation, laptops, name),
    )
    assert response.status_code == 200, response.get_json()


@when(
    parsers.re(
        r"(?P<name>\w+) signs in correctly (?P<count>\d+) times from "
        r"(?:her|his|their) laptop"
    ),
    target_fixture="answer",
)
def sign_in_from_laptop(conversation, own_sign_ins, laptops, name, count):
    person = conversation.person(name)
    laptop = _laptop(conversation, laptops, name)
    return [
        _signs_in(
            own_sign_ins,
            name,
            _sign_in(conversation, person.username, person.password, LAPTOP_ADDRESS, client=laptop),
        )
        for _ in range(int(count))
    ]


@when(
    parsers.parse("someone tries to sign in as {count:d} different people from one address"),
    target_fixture="answer",
)
def sign_in_as_many(conversation, count):
    return [
        _sign_in(
            conversation, f"person-{n}", WRONG_PASSWORD, "203.0.113.5", client=conversation.client
        )
        for n in range(count)
    ]


@when(
    parsers.parse(
        "someone tries to sign in {count:d} times from one address, claiming a "
        "different address each time"
    ),
    target_fixture="answer",
)
def sign_in_spoofing(conversation, count):
    return [
        _sign_in(
            conversation,
            "someone",
            WRONG_PASSWORD,
            "203.0.113.5",
            client=conversation.client,
            **{"X-Forwarded-For": f"192.0.2.{n + 1}"},
        )
        for n in range(count)
    ]


def _repeat(conversation, attempts, name, activity, count) -> list:
    """``name`` does ``activity`` ``count`` times, signed in: the answers, also kept as theirs."""
    method, path, body = ACTIVITIES[activity]
    answers = [
        conversation.call(method, path, json=body, as_person=name) for _ in range(int(count))
    ]
    attempts.setdefault(name, []).extend(answers)
    return answers


@when(
    parsers.re(
        r"(?P<name>\w+) asks for (?:her|his|their) profile (?P<count>\d+) times "
        r"within a minute"
    ),
    target_fixture="answer",
)
def repeat_profile(conversation, attempts, name, count):
    return _repeat(conversation, attempts, name, "profile", count)


@when(
    parsers.parse("{name} asks the default model about a patient {count:d} times within a minute"),
    target_fixture="answer",
)
def repeat_prediction(conversation, attempts, name, count):
    return _repeat(conversation, attempts, name, "prediction", count)


@when(
    parsers.parse(
        "{name} asks the default model about 2 patients at once {count:d} times within a minute"
    ),
    target_fixture="answer",
)
def repeat_batch(conversation, attempts, name, count):
    return _repeat(conversation, attempts, name, "batch", count)


@when(
    parsers.parse('the script with the key "{key_name}" asks for {name}\'s profile once'),
    target_fixture="answer",
)
def script_asks(conversation, key_name, name):
    return conversation.call(
        "GET", PROFILE, headers={"X-API-Key": conversation.keys[(name, key_name)]["key"]}
    )


@when(
    parsers.parse("someone without valid credentials asks for a profile {count:d} times"),
    target_fixture="answer",
)
def anonymous_repeats(conversation, count):
    return [
        conversation.call("GET", PROFILE, token=None if n % 2 else "not-a-real-token")
        for n in range(count)
    ]


def _assert_slowed_down(response) -> None:
    body = assert_refused(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 0, response.headers
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" in body["detail"]


@then(parsers.parse("{who} is asked to slow down and told when to try again"))
def asked_to_slow_down(request, attempts, who):
    """`who`: "the guesser", "the last one" (of the attempts just made) or a person's name.

    For the guesser or a person: the last thing they sent in the scenario."""
    if who == "the last one":
        response = request.getfixturevalue("answer")[-1]
    else:
        assert attempts.get(who), f"{who} sent nothing in this scenario"
        response = attempts[who][-1]
    _assert_slowed_down(response)


@then(parsers.parse("the first {allowed:d} are answered and the rest are asked to slow down"))
def first_answered_rest_slowed(answer, allowed):
    answered, refused = answer[:allowed], answer[allowed:]
    assert [r.status_code for r in answered] == [200] * allowed, [r.get_json() for r in answered]
    assert refused, "the scenario made no request beyond the budget"
    for response in refused:
        _assert_slowed_down(response)


@then(parsers.parse("every one of {name}'s sign-ins succeeds"))
def all_sign_ins_succeed(own_sign_ins, name):
    assert own_sign_ins.get(name), f"{name} did not sign in in this scenario"
    assert [r.status_code for r in own_sign_ins[name]] == [200] * len(own_sign_ins[name]), [
        r.get_json() for r in own_sign_ins[name]
    ]


@then("every guess before the last was turned down as a wrong password")
def guesses_turned_down(attempts):
    guesses = attempts.get(GUESSER, [])[:-1]
    assert guesses
    for response in guesses:
        assert_refused(response, 401, "invalid_credentials")


@then(
    parsers.re(
        r"(?P<name>\w+) still gets an answer(?: to (?:her|his|their) own "
        r"requests)?"
    )
)
def still_answered(conversation, name):
    response = conversation.call("GET", PROFILE, as_person=name)
    assert response.status_code == 200, response.get_json()


@then(parsers.parse('the script with the key "{key_name}" is also asked to slow down'))
def key_slowed_down(conversation, key_name):
    _assert_slowed_down(
        conversation.call(
            "GET", PROFILE, headers={"X-API-Key": conversation.key_named(key_name)["key"]}
        )
    )


@then(parsers.parse("{name} is asked to slow down as well"))
def person_slowed_down(conversation, name):
    _assert_slowed_down(conversation.call("GET", PROFILE, as_person=name))
