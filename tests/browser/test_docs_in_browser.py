"""/docs in a real browser: Swagger UI renders the whole API from the app's own files,
never reaches for another host, and sends authorised requests with a pasted token."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def open_docs(visit, client) -> list[str]:
    """Open /docs and wait until every tag of the OpenAPI document is on screen."""
    tags = [tag["name"] for tag in client.get("/openapi.json").get_json()["tags"]]
    visit.goto("/docs")
    for tag in tags:
        expect(visit.page.locator(f"h3.opblock-tag[data-tag='{tag}']")).to_be_visible()
    return tags


def test_docs_shows_every_tag_of_the_api(visit, client):
    tags = open_docs(visit, client)

    assert len(tags) >= 3
    headings = visit.page.locator("h3.opblock-tag")
    expect(headings).to_have_count(len(tags))
    for tag in tags:  # by the tag's own attribute: one tag's name may be in another's text
        expect(visit.page.locator(f'h3.opblock-tag[data-tag="{tag}"]')).to_have_count(1)


def test_docs_requests_nothing_from_another_host(visit, client):
    open_docs(visit, client)
    visit.page.wait_for_load_state("networkidle")

    assert visit.requested_elsewhere() == []
    assert visit.base_url + "/openapi.json" in visit.requested
    assert any(url.endswith("/swagger-ui-bundle.js") for url in visit.requested)


def test_docs_sends_an_authorised_request_with_a_pasted_token(visit, client, make_user, sign_in):
    user = make_user()
    token = sign_in(user).access
    open_docs(visit, client)
    page = visit.page

    page.get_by_role("button", name="Authorize").click()
    dialog = page.locator(".modal-ux")
    # By the scheme's exact name: refreshBearerAuth (the refresh token's) holds it too.
    bearer = dialog.locator(".auth-container").filter(
        has=page.locator("h4 code", has_text=re.compile(r"^bearerAuth$"))
    )
    expect(bearer).to_be_visible()
    expect(dialog.locator(".auth-container").filter(has_text="apiKeyAuth")).to_be_visible()
    bearer.get_by_label("auth-bearer-value").fill(token)
    bearer.get_by_role("button", name="Authorize", exact=True).click()
    expect(bearer.get_by_role("button", name="Logout")).to_be_visible()
    bearer.get_by_role("button", name="Close", exact=True).click()
    expect(dialog).to_be_hidden()

    operation = page.locator(
        ".opblock-get", has=page.locator(".opblock-summary-path[data-path='/api/v1/users/me']")
    )
    operation.locator(".opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()

    answer = operation.locator(".live-responses-table")
    expect(answer.locator("tr.response .response-col_status")).to_have_text("200")
    expect(answer.locator("tr.response .response-col_description")).to_contain_text(user.username)
    assert visit.requested_elsewhere() == []
