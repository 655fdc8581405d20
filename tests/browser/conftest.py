"""A real browser against a real server: the test's app on a free port, driven by
Debian's chromium (/usr/bin/chromium) through playwright. No browser is downloaded.

Without chromium these tests skip, naming the package to install, except under ``CI=true``
(.ci/run installs it), where a missing chromium fails them: CI must never pass having
driven no browser."""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_PACKAGE = "chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Visit:
    """A browser tab on the server, and every URL it has requested so far."""

    page: Page
    base_url: str
    requested: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base_url + path)
        assert response is not None, path
        assert response.ok, (path, response.status)

    def requested_elsewhere(self) -> list[str]:
        return [url for url in self.requested if not url.startswith(self.base_url + "/")]


def chromium() -> str:
    """The browser's path; skips the test without it (fails it under ``CI=true``)."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = (
        f"{CHROMIUM} is not installed (Debian package {CHROMIUM_PACKAGE}: "
        f"apt-get install -y {CHROMIUM_PACKAGE})"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def visit(browser, server_url) -> Iterator[Visit]:
    context = browser.new_context()
    page = context.new_page()
    visit = Visit(page, server_url)
    page.on("request", lambda request: visit.requested.append(request.url))
    yield visit
    context.close()
