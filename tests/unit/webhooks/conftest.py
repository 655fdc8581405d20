"""Fixtures of the webhook tests: a resolver that needs no network, and hook helpers."""

from datetime import datetime, timedelta

import pytest
import responses

from mlapi.extensions import db
from mlapi.timeutil import utcnow
from mlapi.webhooks.addresses import RESOLVER_KEY, static_resolver
from mlapi.webhooks.dispatch import deliver_due

HOOK_URL = "https://hooks.example.com/mlapi"
PUBLIC_IP = "93.184.215.14"


@pytest.fixture
def dns(app) -> dict[str, list[str]]:
    """The app's DNS: edit the table to re-point a name (as a rebinding attacker would)."""
    table = {"hooks.example.com": [PUBLIC_IP], "other.example.com": ["93.184.215.15"]}
    app.extensions[RESOLVER_KEY] = static_resolver(table)
    return table


@pytest.fixture
def create_hook(client, dns):
    def create(
        headers: dict,
        url: str = HOOK_URL,
        events=("model.created",),
        *,
        name: str | None = None,
        expect: int = 201,
    ) -> dict:
        body = {"url": url, "events": list(events)}
        if name is not None:
            body["name"] = name
        response = client.post("/api/v1/webhooks", json=body, headers=headers)
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    return create


@pytest.fixture
def deliver(app):
    """Send what is due ``after`` seconds from ``at`` (default: now); returns the outcome
    counts. A test that moves the clock in steps passes one ``at``, so its steps do not
    depend on how long the test itself takes."""

    def run(after: float = 0, *, at: datetime | None = None):
        with app.app_context():
            try:
                return deliver_due((at or utcnow()) + timedelta(seconds=after))
            finally:
                db.session.remove()

    return run


@pytest.fixture
def receiver():
    """The receivers of the test (``responses``); any other request fails to connect.

    Its ``calls`` outlive the sends, until the test ends."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
