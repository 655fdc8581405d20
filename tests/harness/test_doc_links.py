"""Links to the docs lead somewhere: every ``docs/<page>.md#<anchor>`` named in the code, the
tests, the README or the docs, and every relative Markdown link there, names a page that
exists and a heading on it (GitHub's anchors). Module docstrings point to the docs instead
of retelling them, so a renamed heading must not leave them pointing nowhere."""

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("mlapi", "tests", "scripts", "features")  # *.py under these, and the Markdown
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
# A page of docs/ named from anywhere, relative to the repository root.
DOCS_REFERENCE = re.compile(r"(?<![\w/.-])docs/([\w.-]+\.md)(?:#([\w-]+))?")
# A Markdown link to a local file or an anchor, relative to the file that holds it.
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]*)\)")


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: its text, lower-cased, without punctuation (code
    spans and link texts keep their words), spaces made hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a Markdown page's headings (outside code blocks), repeated ones
    numbered as GitHub numbers them (``-1``, ``-2``)."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_code = not in_code
            continue
        heading = None if in_code else HEADING.match(line)
        if heading:
            anchor = github_anchor(heading.group(1))
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def files_to_read(root: Path) -> list[Path]:
    files = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    for folder in SOURCES:
        files += sorted((root / folder).rglob("*.py"))
    return [path for path in files if path.is_file() and ".venv" not in path.parts]


def links(root: Path):
    """(where, target page, anchor or None) for every link to a local page."""
    for path in files_to_read(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(root)}:{number}"
            for match in DOCS_REFERENCE.finditer(line):
                yield where, root / "docs" / match.group(1), match.group(2)
            if path.suffix != ".md":
                continue
            for match in MARKDOWN_LINK.finditer(line):
                target, _, anchor = match.group(1).partition("#")
                if re.match(r"[a-z]+:", target):
                    continue  # another site
                if target and not target.endswith(".md"):
                    continue  # a file that is not a page, such as deploy/nginx/mlapi.conf
                page = (path.parent / target).resolve() if target else path
                yield where, page, anchor or None


def broken_links(root: Path) -> list[str]:
    root = root.resolve()
    problems, headings = [], {}
    for where, page, anchor in links(root):
        name = os.path.relpath(page, root)
        if not page.is_file():
            problems.append(f"{where}: {name} does not exist")
            continue
        if anchor is None:
            continue
        if page not in headings:
            headings[page] = anchors(page)
        if anchor not in headings[page]:
            problems.append(f"{where}: {name} has no heading #{anchor}")
    return problems


def test_every_link_to_the_docs_names_an_existing_page_and_heading():
    assert broken_links(ROOT) == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("`GET /metrics`", "get-metrics"),
        ("Address checks (SSRF)", "address-checks-ssrf"),
        (
            "4. Metrics and admin stats over all workers",
            "4-metrics-and-admin-stats-over-all-workers",
        ),
        (
            "Password guessing: a budget per account, and known devices",
            "password-guessing-a-budget-per-account-and-known-devices",
        ),
        ("nginx in front: required", "nginx-in-front-required"),
    ],
)
def test_a_heading_gets_githubs_anchor(heading, anchor):
    assert github_anchor(heading) == anchor


def test_a_link_to_a_missing_page_or_heading_is_reported(tmp_path):
    """The check reads the docs and the code; the sample's paths are spelt ``DOCS/`` here
    so that this file itself names no page."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text(
        "# Guide\n\n## Known section\n\n```\n# not a heading\n```\n"
        "See [the section](#known-section), [gone](#gone) and [other](other.md).\n"
    )
    (tmp_path / "mlapi").mkdir()
    (tmp_path / "mlapi" / "module.py").write_text(
        '"""One line (DOCS/guide.md#known-section), DOCS/guide.md#not-a-heading,\n'
        'DOCS/missing.md."""\n'.replace("DOCS/", "docs/")
    )

    assert broken_links(tmp_path) == [
        line.replace("DOCS/", "docs/")
        for line in [
            "DOCS/guide.md:8: DOCS/guide.md has no heading #gone",
            "DOCS/guide.md:8: DOCS/other.md does not exist",
            "mlapi/module.py:1: DOCS/guide.md has no heading #not-a-heading",
            "mlapi/module.py:2: DOCS/missing.md does not exist",
        ]
    ]
