"""Read a feature file as pytest-bdd will, and say in one line per problem what is wrong.

pytest-bdd answers a typo with a 40-line traceback about its parser, which also stops the
whole run. Other typos are no error to Gherkin at all: a ``Scenario`` without its colon,
or a ``given`` in lower case right under a ``Scenario:`` line, is read as free text (a
description), so a scenario or a step silently disappears and the rest still passes.
``problems()`` finds both kinds and words each for the person who wrote the file: what is
wrong, and how to fix it. features/conftest.py turns them into one failing test per file;
docs/writing-features.md lists every message ("When the run says…").

    python scripts/gherkin_check.py features/*.feature   # prints the problems, exit 1 if any
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gherkin.errors import (
    AstBuilderException,
    ParserError,
    UnexpectedEOFException,
    UnexpectedTokenException,
)
from gherkin.parser import Parser

STEP_KEYWORDS = ("Given", "When", "Then", "And", "But")
KEYWORDS = {
    word.lower(): word
    for word in (
        "Scenario Outline",
        "Scenario Template",
        "Scenarios",
        "Scenario",
        "Background",
        "Examples",
        "Example",
        "Rule",
        "Feature",
    )
}
KEYWORD_LINE = re.compile(r"(?i)(" + "|".join(KEYWORDS) + r")\b\s*(:?)\s*(.*)")
STEP_HINT = "a step starts with Given, When, Then, And or But, a comment with #"
ORDER_HINT = (
    "a file reads Feature:, then at most one Background:, then each Scenario: with "
    "its steps (and, for an outline, its Examples:)"
)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


def problems(path: Path) -> list[Problem]:
    """Every problem of the file, in line order; [] when it is fine."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not any(line.strip() and not line.lstrip().startswith("#") for line in lines):
        return [
            Problem(
                1, 'the file is empty: start it with a "Feature: <name>" line, then add a scenario'
            )
        ]
    try:
        feature = Parser().parse("\n".join(lines) + "\n").get("feature")
    except ParserError as error:
        return [syntax_problem(getattr(error, "errors", [error])[0], lines)]
    if not feature:
        return [Problem(1, 'no "Feature:" line: start the file with "Feature: <name>"')]
    found = list(description_problems(feature, lines, steps_too=False))
    for background in blocks(feature["children"], "background"):
        found += description_problems(background, lines)
    scenarios = list(blocks(feature["children"], "scenario"))
    for scenario in scenarios:
        lost = list(description_problems(scenario, lines))
        if not scenario["steps"] and not lost:
            lost.append(
                Problem(
                    scenario["location"]["line"],
                    f'the scenario "{scenario["name"]}"'
                    " has no steps: give it Given, When and Then lines, or remove it",
                )
            )
        found += lost
    if not scenarios and not found:
        found.append(
            Problem(
                feature["location"]["line"],
                "no scenario in this file: add one, "
                'a "Scenario: <what happens>" line and its steps',
            )
        )
    return sorted(found, key=lambda problem: problem.line)


def blocks(children: list[dict], kind: str) -> Iterator[dict]:
    """The scenarios (or backgrounds) of a feature, those inside its rules included."""
    for child in children:
        if "rule" in child:
            yield from blocks(child["rule"]["children"], kind)
        elif kind in child:
            yield child[kind]


def corrected(text: str, steps_too: bool = True) -> str | None:
    """What is wrong with a keyword line that has a typo (no colon, wrong case, letters
    swapped), and the line as it should be; None when it is no such line."""
    keyword = KEYWORD_LINE.fullmatch(text)
    if keyword:
        word, colon, rest = keyword.groups()
        if colon and word == KEYWORDS[word.lower()]:
            return None  # a keyword line as it should be (maybe in the wrong place)
        fixed = f"{KEYWORDS[word.lower()]}: {rest}".rstrip()
        how = "with a colon" if not colon else "with a capital letter"
        return f'"{text}" is not a Gherkin keyword line: write "{fixed}", {how}'
    first, _, rest = text.partition(" ")
    for step in STEP_KEYWORDS if steps_too else ():
        if first.lower() == step.lower() or sorted(first.lower()) == sorted(step.lower()):
            return f'"{text}" is not a step: write "{step} {rest}"'
    return None


def description_problems(
    block: dict, lines: list[str], steps_too: bool = True
) -> Iterator[Problem]:
    """Keyword lines Gherkin took for free text under a Feature:, Background: or Scenario:.

    Under Feature: only block keywords count (its description may well start with "and");
    under a scenario or background, a description line shaped like a step is a lost step.
    """
    number = block["location"]["line"]
    for text in block.get("description", "").splitlines():
        number = next(
            (
                n
                for n in range(number + 1, len(lines) + 1)
                if lines[n - 1].rstrip() == text.rstrip()
            ),
            number,
        )
        message = corrected(text.strip(), steps_too)
        if message:
            yield Problem(number, message)


def syntax_problem(error: Exception, lines: list[str]) -> Problem:
    """Gherkin's first parse error, in words (the later ones mostly follow from it)."""
    number = error.location["line"]
    text = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    message = str(error).split(": ", 1)[-1]
    if isinstance(error, UnexpectedEOFException) and "#DocStringSeparator" in message:
        opener = max(
            (n for n, line in enumerate(lines, 1) if line.strip().startswith(('"""', "```"))),
            default=number,
        )
        return Problem(
            opener,
            'a text block opened with """ is never closed: add a line with """ after its text',
        )
    if isinstance(error, AstBuilderException) and "inconsistent cell count" in message:
        return Problem(
            number,
            "this table row does not have as many cells as the first row: "
            "give every row of the table the same number of | cells",
        )
    if "tag may not contain whitespace" in message:
        return Problem(
            number,
            f'"{text}": a tag is one word after @, with no space '
            '(write "@rate_limits", not "@rate limits")',
        )
    if not isinstance(error, UnexpectedTokenException):
        return Problem(number, f"Gherkin cannot read this line: {message}")
    return Problem(number, unexpected_line(text, expected_feature="#FeatureLine" in message))


def unexpected_line(text: str, expected_feature: bool) -> str:
    """What is wrong with a line that Gherkin did not expect where it is."""
    if expected_feature:
        fix = corrected(text, steps_too=False)
        return (
            fix
            if fix and text.lower().startswith("feature")
            else 'the file must start with a "Feature: <name>" line (tags and # comments may '
            "come before it)"
        )
    if text.startswith("Feature:"):
        return (
            'a second "Feature:" line: a file holds one feature; move this one and its '
            "scenarios to a file of their own"
        )
    if text.startswith("Background:"):
        return (
            'a second or late "Background:": a file has at most one, before its first '
            "scenario; merge the two"
        )
    fix = corrected(text)
    if fix:
        return fix
    if KEYWORD_LINE.fullmatch(text):
        return f'"{text}" cannot come here: {ORDER_HINT}'
    if text.startswith("|"):
        return (
            "a table row where no table can be: a table follows a step or an "
            '"Examples:" line, with no blank line or other text in between'
        )
    return f'"{text}" is neither a step nor a keyword line: {STEP_HINT}'


def main(paths: list[str]) -> int:
    found = [(path, problem) for path in paths for problem in problems(Path(path))]
    for path, problem in found:
        print(f"{path}:{problem.line}: {problem.message}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
