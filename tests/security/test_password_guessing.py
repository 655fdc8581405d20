"""Password guessing is limited per account (issue 14, item 2).

Past an account's budget of failed sign-ins every attempt for it gets 429, the right
password too, so a guesser spread over many addresses learns nothing from the answers;
only a known device (a client that signed in to the account with its password before and
sends back its ``mlapi_device`` cookie) still gets in. Each "guesser" here is a fresh test
client: no cookie, its own address.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from mlapi import create_app
from mlapi.auth import devices
from mlapi.auth.models import KnownDevice
from mlapi.extensions import db
from tests.contract_client import ContractClient
from tests.support.servers import DOWN_REDIS_URL, REDIS_URL, needs_redis
from tests.support.settings import TEST_PASSWORD
from tests.unit.helpers import assert_problem

LOGIN = "/api/v1/auth/login"
WRONG = "not-the-password-1"
COOKIE = "mlapi_device"


@pytest.fixture
def guarded(configured_app, request):
    """The app with a per-account budget of ``budget`` failed sign-ins a minute (and the
    per-address budget out of the way); returns (app, the account "bob")."""

    def build(budget: int = 10, **settings):
        app = configured_app(
            RATELIMIT_LOGIN="1000/minute", RATELIMIT_LOGIN_ACCOUNT=f"{budget}/minute", **settings
        )
        bob = request.getfixturevalue("make_user")("bob", email="bob@example.com")
        return app, bob

    return build


def sign_in(client, identifier: str, password: str, address: str = "198.51.100.1"):
    return client.post(
        LOGIN,
        json={"username": identifier, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def guesser(app):
    """A client that never signed in: no device cookie."""
    return app.test_client()


def test_34_guesses_from_34_addresses_never_learn_the_password(guarded):
    app, _ = guarded()  # the default budget: 10 failed sign-ins a minute
    answers = {}
    guesses = [f"guess-{n}-wrong" for n in range(33)]
    guesses.insert(20, TEST_PASSWORD)  # the right one, once the budget is spent
    for n, password in enumerate(guesses):
        answers[password] = sign_in(guesser(app), "bob", password, f"203.0.113.{n + 1}")

    statuses = [answers[password].status_code for password in guesses]
    assert statuses == [401] * 10 + [429] * 24
    right = assert_problem(answers[TEST_PASSWORD], 429, "rate_limited")
    wrong = assert_problem(answers[guesses[-1]], 429, "rate_limited")
    assert right == wrong  # the answer to the right password tells nothing
    assert int(answers[TEST_PASSWORD].headers["Retry-After"]) > 0


def test_refused_attempts_do_not_count(guarded):
    app, _ = guarded(budget=2)
    for n in range(2):
        assert sign_in(guesser(app), "bob", WRONG, f"203.0.113.{n}").status_code == 401
    for n in range(5):
        assert sign_in(guesser(app), "bob", WRONG, f"203.0.114.{n}").status_code == 429

    refused = sign_in(guesser(app), "bob", TEST_PASSWORD)
    assert_problem(refused, 429, "rate_limited")
    # The budget is free again when the 2 failures leave the window, not the 5 refusals.
    assert int(refused.headers["Retry-After"]) <= 60


@pytest.mark.parametrize(
    "identifiers",
    [
        ("bob", "bob@example.com"),
        ("bob@example.com", "BOB"),
        ("bob", "Bob", "BOB@Example.COM"),
    ],
)
def test_the_username_in_any_case_and_the_email_share_one_budget(guarded, identifiers):
    app, _ = guarded(budget=len(identifiers) - 1)
    for identifier in identifiers[:-1]:
        assert sign_in(guesser(app), identifier, WRONG).status_code == 401

    assert_problem(sign_in(guesser(app), identifiers[-1], TEST_PASSWORD), 429, "rate_limited")


def test_an_unknown_name_has_its_own_budget_in_any_case(guarded):
    app, _ = guarded(budget=1)
    assert sign_in(guesser(app), "Nobody", WRONG).status_code == 401

    assert_problem(sign_in(guesser(app), "NOBODY", WRONG), 429, "rate_limited")
    assert sign_in(guesser(app), "bob", TEST_PASSWORD).status_code == 200  # not Bob's


def test_a_known_device_still_signs_in_once_the_budget_is_spent(guarded):
    app, _ = guarded(budget=2)
    browser = app.test_client()
    assert sign_in(browser, "bob", TEST_PASSWORD).status_code == 200
    for n in range(3):
        sign_in(guesser(app), "bob", WRONG, f"203.0.113.{n}")
    assert_problem(sign_in(guesser(app), "bob", TEST_PASSWORD), 429, "rate_limited")

    again = sign_in(browser, "bob@example.com", TEST_PASSWORD, "192.0.2.99")

    assert again.status_code == 200, again.get_json()
    assert again.headers["Set-Cookie"].startswith(f"{COOKIE}=")  # renewed


def test_a_wrong_password_from_a_known_device_gets_401_and_counts(guarded):
    app, _ = guarded(budget=2)
    browser = app.test_client()
    assert sign_in(browser, "bob", TEST_PASSWORD).status_code == 200

    answers = [sign_in(browser, "bob", WRONG) for _ in range(3)]

    for answer in answers:  # never 429 from the known device, even past the budget
        assert_problem(answer, 401, "invalid_credentials")
    assert_problem(sign_in(guesser(app), "bob", TEST_PASSWORD), 429, "rate_limited")


def test_the_device_cookie_is_http_only_strict_and_scoped_to_sign_in(guarded):
    app, _ = guarded()

    cookie = sign_in(guesser(app), "bob", TEST_PASSWORD).headers["Set-Cookie"]

    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "max-age", "path"} <= attributes
    assert "SameSite=Strict" in cookie
    assert "Path=/api/v1/auth" in cookie


def test_a_forged_or_borrowed_cookie_is_not_a_known_device(guarded, request):
    app, _ = guarded(budget=1)
    alice = request.getfixturevalue("make_user")("alice")
    alices_browser = app.test_client()
    assert sign_in(alices_browser, "alice", TEST_PASSWORD).status_code == 200
    alices_cookie = alices_browser.get_cookie(COOKIE, path="/api/v1/auth").value
    device_id = alices_cookie.split(".")[0]
    assert sign_in(guesser(app), "bob", WRONG).status_code == 401

    for value in (
        alices_cookie,
        f"{device_id}.{'0' * 64}",
        "garbage",
        "é.ü",
        "a\x00.b",
        f"{'x' * 3000}.{'0' * 64}",
    ):
        attacker = guesser(app)
        attacker.set_cookie(COOKIE, value, path="/api/v1/auth")
        assert_problem(sign_in(attacker, "bob", TEST_PASSWORD), 429, "rate_limited")
    assert alice.username == "alice"


def test_a_client_without_cookies_does_not_pile_up_devices(guarded, monkeypatch):
    app, bob = guarded()
    monkeypatch.setattr(devices, "MAX_DEVICES", 3)
    browser = app.test_client()
    assert sign_in(browser, "bob", TEST_PASSWORD).status_code == 200
    for _ in range(5):  # a script that never keeps cookies: a new device each time
        assert sign_in(guesser(app), "bob", TEST_PASSWORD).status_code == 200

    with app.app_context():
        kept = db.session.execute(
            select(func.count()).select_from(KnownDevice).where(KnownDevice.user_id == bob.id)
        ).scalar_one()
    assert kept == 3
    assert sign_in(browser, "bob", TEST_PASSWORD).headers["Set-Cookie"]  # still signs in


def test_deactivation_forgets_the_accounts_known_devices(guarded, request):
    app, bob = guarded(budget=1)
    admin = request.getfixturevalue("make_user")(role="admin")
    admin_token = sign_in(guesser(app), admin.username, admin.password).get_json()
    browser = app.test_client()
    assert sign_in(browser, "bob", TEST_PASSWORD).status_code == 200
    for active in (False, True):
        guesser(app).patch(
            f"/api/v1/admin/users/{bob.id}",
            json={"is_active": active},
            headers={"Authorization": f"Bearer {admin_token['access_token']}"},
        )
    assert sign_in(guesser(app), "bob", WRONG).status_code == 401

    assert_problem(sign_in(browser, "bob", TEST_PASSWORD), 429, "rate_limited")


def _worker(settings: dict):
    app = create_app(settings)
    app.test_client_class = ContractClient
    return app


@pytest.mark.parametrize(
    "redis",
    [
        pytest.param(REDIS_URL, marks=needs_redis, id="redis"),
        pytest.param(DOWN_REDIS_URL, id="redis-down"),
    ],
)
def test_the_budget_holds_across_workers_with_redis_configured(guarded, app_config, redis):
    guarded(budget=2)
    settings = {**app_config, "REDIS_URL": redis}
    first, second = _worker(settings), _worker(settings)

    assert sign_in(guesser(first), "bob", WRONG).status_code == 401
    assert sign_in(guesser(second), "BOB", WRONG).status_code == 401

    assert_problem(sign_in(guesser(first), "bob", TEST_PASSWORD), 429, "rate_limited")
    assert_problem(sign_in(guesser(second), "bob@example.com", TEST_PASSWORD), 429, "rate_limited")


def test_concurrent_guesses_cannot_all_pass_one_check(guarded):
    """The check and the count are one step per account: 8 guesses at once against a
    budget of 3 get exactly 3 answers of 401, whatever their interleaving."""
    app, _ = guarded(budget=3)
    start = threading.Barrier(8)

    def guess(n: int) -> int:
        client = guesser(app)
        start.wait()
        return sign_in(client, "bob", WRONG, f"203.0.113.{n}").status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(guess, range(8)))

    assert statuses == [401] * 3 + [429] * 5
