"""GET /docs: Swagger UI whose every file comes from the app itself, so it works offline."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from swagger_ui_bundle import swagger_ui_path

JAVASCRIPT = {"text/javascript", "application/javascript"}


class References(HTMLParser):
    """Every ``src`` and ``href`` of a page, with the tag (and ``rel``) that holds it."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str, str]] = []  # (tag, rel, url)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("src", "href"):
            if attributes.get(name):
                self.found.append((tag, attributes.get("rel") or "", attributes[name]))


@pytest.fixture
def page(client):
    response = client.get("/docs")
    assert response.status_code == 200
    return response


@pytest.fixture
def references(page) -> list[tuple[str, str, str]]:
    parser = References()
    parser.feed(page.get_data(as_text=True))
    return parser.found


def test_docs_is_an_html_page(page):
    assert page.mimetype == "text/html"
    assert "<html" in page.get_data(as_text=True).lower()


def test_docs_references_nothing_on_another_host(references):
    assert references, "the page references no files"
    elsewhere = [
        url
        for _, _, url in references
        if urlsplit(url).netloc not in {"", "localhost"}
        or urlsplit(url).scheme not in {"", "http", "https"}
    ]

    assert elsewhere == []


def test_docs_loads_swagger_ui_script_and_styles(references):
    scripts = [url for tag, _, url in references if tag == "script"]
    styles = [url for tag, rel, url in references if tag == "link" and rel == "stylesheet"]

    assert any(url.endswith("swagger-ui-bundle.js") for url in scripts)
    assert any(url.endswith("swagger-ui.css") for url in styles)


def test_every_file_of_the_page_is_served_with_its_type(client, references):
    """Responses carry ``X-Content-Type-Options: nosniff``: a browser runs a script or
    applies a stylesheet only when its Content-Type says so."""
    for tag, _, url in references:
        with client.get(urlsplit(url).path) as response:  # closes the file it streams
            assert response.status_code == 200, url
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.get_data(), url
            if tag == "script":
                assert response.mimetype in JAVASCRIPT, (url, response.mimetype)
            else:
                assert response.mimetype == "text/css", (url, response.mimetype)


def test_files_of_the_page_may_be_cached(client, references):
    _, _, url = references[0]

    with client.get(urlsplit(url).path) as response:
        assert response.cache_control.max_age > 0
        assert not response.cache_control.no_store


@pytest.mark.parametrize(
    "name",
    [
        "no-such-file.js",
        "index.html",
        "../__init__.py",
        f"../{swagger_ui_path.name}/swagger-ui.css",
    ],
    ids=["missing", "bundle demo page", "python source", "path climbing out and back"],
)
def test_other_paths_under_docs_assets_are_not_found(client, name):
    response = client.get(f"/docs/assets/{name}")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "not_found"


def test_the_root_sends_a_browser_to_the_docs(client):
    """The first URL a newcomer opens is the server's root: it leads to the docs page."""
    response = client.get("/")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/docs"
    assert client.get("/", follow_redirects=True).mimetype == "text/html"


def test_only_the_root_itself_redirects(client):
    response = client.get("/index.html")

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
