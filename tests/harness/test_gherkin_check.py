"""A Gherkin typo must come back as one line a product owner can act on: where, what is
wrong, how to fix it (scripts/gherkin_check.py, used by features/conftest.py).

Each case is a mistake someone makes; several are no error to Gherkin itself, which would
silently read the line as free text and lose the scenario or the step.
"""

import pytest

from scripts.gherkin_check import main, problems
from scripts.step_catalogue import ROOT

SCENARIO = "Feature: Keys\n  Scenario: Alice signs in\n    Given Alice is signed in\n"

CASES = {
    "a scenario without its colon, after another": (
        SCENARIO + "\n  Scenario Alice renames a key\n    Given Alice is signed in\n",
        5,
        '"Scenario Alice renames a key" is not a Gherkin keyword line: write '
        '"Scenario: Alice renames a key", with a colon',
    ),
    "the first scenario without its colon (Gherkin reads it as text)": (
        "Feature: Keys\n  Scenario Alice signs in\n    Given Alice is signed in\n",
        2,
        '"Scenario Alice signs in" is not a Gherkin keyword line: write '
        '"Scenario: Alice signs in", with a colon',
    ),
    "an outline without its colon": (
        "Feature: Keys\n  Scenario Outline Alice counts\n    Given <n>\n    Examples:\n"
        "      | n |\n      | 1 |\n",
        2,
        '"Scenario Outline Alice counts" is not a Gherkin keyword line: write '
        '"Scenario Outline: Alice counts", with a colon',
    ),
    "Examples without its colon": (
        "Feature: Keys\n  Scenario Outline: Alice counts\n    Given <n>\n    Examples\n"
        "      | n |\n      | 1 |\n",
        4,
        '"Examples" is not a Gherkin keyword line: write "Examples:", with a colon',
    ),
    "Background without its colon (Gherkin reads it as text)": (
        "Feature: Keys\n  Background\n    Given Alice is signed in\n" + SCENARIO[14:],
        2,
        '"Background" is not a Gherkin keyword line: write "Background:", with a colon',
    ),
    "a keyword in lower case": (
        "Feature: Keys\n  scenario: Alice signs in\n    Given Alice is signed in\n",
        2,
        '"scenario: Alice signs in" is not a Gherkin keyword line: write '
        '"Scenario: Alice signs in", with a capital letter',
    ),
    "Feature without its colon": (
        "Feature Keys\n" + SCENARIO[14:],
        1,
        '"Feature Keys" is not a Gherkin keyword line: write "Feature: Keys", with a colon',
    ),
    "a first step in lower case (Gherkin reads it as text)": (
        "Feature: Keys\n  Scenario: Alice signs in\n    given Alice is signed in\n",
        3,
        '"given Alice is signed in" is not a step: write "Given Alice is signed in"',
    ),
    "a step keyword with swapped letters": (
        SCENARIO + "    Whne Alice renames the key\n",
        4,
        '"Whne Alice renames the key" is not a step: write "When Alice renames the key"',
    ),
    "a line that is neither a step nor a keyword": (
        SCENARIO + "    Alice renames the key\n",
        4,
        '"Alice renames the key" is neither a step nor a keyword line: a step starts '
        "with Given, When, Then, And or But, a comment with #",
    ),
    "no Feature line": (
        SCENARIO[14:],
        1,
        'the file must start with a "Feature: <name>" line (tags and # comments may '
        "come before it)",
    ),
    "two Feature lines": (
        SCENARIO + "Feature: Other\n",
        4,
        'a second "Feature:" line: a file holds one feature; move this one and its '
        "scenarios to a file of their own",
    ),
    "a Background after a scenario": (
        SCENARIO + "  Background:\n    Given Bob is signed in\n",
        4,
        'a second or late "Background:": a file has at most one, before its first '
        "scenario; merge the two",
    ),
    "a table row with a cell missing": (
        "Feature: Keys\n  Scenario Outline: Alice counts\n    Given <n>\n    Examples:\n"
        "      | n | m |\n      | 1 |\n",
        6,
        "this table row does not have as many cells as the first row: give every row of "
        "the table the same number of | cells",
    ),
    "a tag with a space": (
        "@api_keys @rate limits\n" + SCENARIO,
        1,
        '"@api_keys @rate limits": a tag is one word after @, with no space (write '
        '"@rate_limits", not "@rate limits")',
    ),
    "a text block never closed": (
        SCENARIO + '      """\n      some text\n',
        4,
        'a text block opened with """ is never closed: add a line with """ after its text',
    ),
    "an empty file": (
        "# nothing yet\n\n",
        1,
        'the file is empty: start it with a "Feature: <name>" line, then add a scenario',
    ),
    "a feature with no scenario": (
        "Feature: Keys\n  Teams keep keys.\n",
        1,
        'no scenario in this file: add one, a "Scenario: <what happens>" line and its steps',
    ),
    "a scenario with no steps (it would pass, testing nothing)": (
        SCENARIO + "\n  Scenario: Bob signs in\n",
        5,
        'the scenario "Bob signs in" has no steps: give it Given, When and Then lines, '
        "or remove it",
    ),
}


@pytest.mark.parametrize(("text", "line", "message"), CASES.values(), ids=CASES.keys())
def test_a_typo_is_one_line_saying_what_to_write(tmp_path, text, line, message):
    path = tmp_path / "keys.feature"
    path.write_text(text, encoding="utf-8")
    assert [(p.line, p.message) for p in problems(path)] == [(line, message)]


def test_a_description_may_start_with_and_or_with_any_word(tmp_path):
    path = tmp_path / "keys.feature"
    path.write_text(
        "Feature: Keys\n  Teams keep keys for their jobs,\n  and then revoke them.\n"
        "\n  Scenario: Alice signs in\n    Anyone may sign in.\n"
        "    Given Alice is signed in\n",
        encoding="utf-8",
    )
    assert problems(path) == []


def test_every_feature_file_of_the_project_reads_as_meant(capsys):
    paths = sorted(str(path) for path in (ROOT / "features").glob("*.feature"))
    assert len(paths) >= 2
    assert main(paths) == 0, capsys.readouterr().out


def test_the_command_line_prints_file_line_and_message_and_fails(tmp_path, capsys):
    path = tmp_path / "keys.feature"
    path.write_text(CASES["a step keyword with swapped letters"][0], encoding="utf-8")
    assert main([str(path)]) == 1
    assert capsys.readouterr().out == (
        f'{path}:4: "Whne Alice renames the key" is not a step: write "When Alice renames '
        'the key"\n'
    )
