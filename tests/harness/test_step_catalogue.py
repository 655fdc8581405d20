"""docs/steps.md is where product owners pick their steps: keep it true to tests/steps/.

The catalogue is built from the steps pytest-bdd registered, so "the feature files use only
catalogued steps" is the same check as "no feature file has an undefined step", made
without running a scenario.
"""

import re
import runpy

import pytest
from pytest_bdd import parsers
from pytest_bdd.parser import FeatureParser

from scripts import step_catalogue
from scripts.step_catalogue import CATALOGUE, ROOT, catalogue, readable_regex, render_markdown

FEATURES = ROOT / "features"
REGENERATE = "python scripts/step_catalogue.py"


@pytest.fixture(scope="module")
def entries():
    return catalogue()


def feature_file_steps(folder=FEATURES):
    """(file, step) for every step the scenarios run: background included, outline
    placeholders replaced by each example row's values, as pytest-bdd runs them."""
    for path in sorted(folder.glob("*.feature")):
        feature = FeatureParser(str(folder), path.name).parse()
        for template in feature.scenarios.values():
            rows = [row for table in template.examples for row in table.as_contexts()] or [{}]
            for row in rows:
                for step in template.render(row).steps:
                    yield path.name, step


def undefined_steps(entries, steps) -> list[str]:
    return sorted(
        {
            f"{name}:{step.line_number}: {step.keyword} {step.name}"
            for name, step in steps
            if not any(entry.matches(step.type, step.name) for entry in entries)
        }
    )


def test_the_step_catalogue_is_up_to_date(entries):
    committed = CATALOGUE.read_text(encoding="utf-8") if CATALOGUE.exists() else ""
    assert committed == render_markdown(entries), (
        f"docs/steps.md is out of date with tests/steps/: run `{REGENERATE}` and commit it"
    )


def test_every_step_of_every_feature_file_is_in_the_catalogue(entries):
    steps = list(feature_file_steps())
    assert len({name for name, _ in steps}) >= 2, "the feature files were not found"
    assert not undefined_steps(entries, steps), (
        "steps with no definition (add one in tests/steps/, then run "
        f"`{REGENERATE}`):\n" + "\n".join(undefined_steps(entries, steps))
    )


def test_an_unknown_step_is_reported_with_its_file_and_line(entries, tmp_path):
    (tmp_path / "wish.feature").write_text(
        "Feature: Wishes\n"
        "  Scenario Outline: Alice dances\n"
        "    Given Alice is signed in\n"
        "    When Alice dances the <dance> with the default model\n"
        "    Then Alice gets a prediction from the default model\n"
        "    Examples:\n"
        "      | dance |\n"
        "      | tango |\n",
        encoding="utf-8",
    )
    assert undefined_steps(entries, feature_file_steps(tmp_path)) == [
        "wish.feature:4: When Alice dances the tango with the default model"
    ]


def test_a_step_matches_only_under_its_own_kind(entries):
    signed_in = [e for e in entries if e.text == "Given <name> is signed in"]
    assert len(signed_in) == 1
    assert signed_in[0].matches("given", "Bob is signed in")
    assert not signed_in[0].matches("then", "Bob is signed in")


def test_typed_placeholders_match_only_their_type(entries):
    batch = next(e for e in entries if e.text.endswith("<count> patients at once"))
    assert batch.notes == ["`count` is a whole number"]
    assert batch.matches("when", "Alice asks the default model about 3 patients at once")
    assert not batch.matches("when", "Alice asks the default model about three patients at once")


def test_every_step_module_of_the_root_conftest_is_catalogued(entries):
    plugins = runpy.run_path(str(ROOT / "conftest.py"))["pytest_plugins"]
    step_modules = [
        name.removeprefix("tests.steps.").removesuffix("_steps")
        for name in plugins
        if name.startswith("tests.steps.")
    ]

    assert list(dict.fromkeys(e.domain for e in entries)) == step_modules
    assert {"common", "auth", "prediction", "admin"} <= set(step_modules)


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (
            r"(?P<name>\w+) looks at (?:her|his|their) profile",
            "<name> looks at (her / his / their) profile",
        ),
        (
            r"(?P<name>\w+) signs in with (?P<how>username|email address)",
            "<name> signs in with (username / email address)",
        ),
        (
            r"(?P<name>\w+) signs out(?: on (?:her|his) (?P<device>\w+))?$",
            "<name> signs out [on (her / his) <device>]",
        ),
        (r'the password "(?P<password>[^"\]]+)"', 'the password "<password>"'),
        (
            r"(?P<name>\w+) keeps a (?P<visibility>private |public |)(?P<kind>churn|sales) model",
            "<name> keeps a [private / public] (churn / sales) model",
        ),
        (
            r"the outcome (?:of (?P<owner>\w+)'s prediction )?was class (?P<label>\d+)",
            "the outcome [of <owner>'s prediction] was class <label>",
        ),
        (
            r"how it is doing(?P<own>, from (?:her|his) own reports only)?",
            "how it is doing[, from (her / his) own reports only]",
        ),
        (
            r"a patient with (?:\w+'s key|the key \"(?P<name>[^\"]+)\")",
            'a patient with (<word>\'s key / the key "<name>")',
        ),
        (
            r"(?P<count>\d+) tr(?:y|ies) in (?:a|(?P<n>\d+)) (?:customers?|shops?)",
            "<count> (try / tries) in (a / <n>) (customer[s] / shop[s])",
        ),
        (r"kept to (?:her|him|them)self", "kept to (herself / himself / themself)"),
    ],
)
def test_regular_expressions_are_put_into_words(pattern, words):
    assert readable_regex(pattern) == words


# What a reader of docs/steps.md must never see: each was once in the generated file.
ARTEFACTS = {
    "an empty choice": re.compile(r"\( /|/ \)|/ /|\(\)|\[\]|\[ /|/ \]"),
    "two spaces in a row": re.compile(r"  "),
    "no space after a bracket": re.compile(r"[\])][\w(\[]"),
    "no space before an optional phrase": re.compile(r"\w\[(?=[\w<])(?!\w+\])"),
    "a placeholder with no name": re.compile("[\u2026\u2039\u203a]"),
}
PAIRS = {")": "(", "]": "[", ">": "<"}


def unbalanced(text: str) -> bool:
    opened = []
    for char in text:
        if char in PAIRS.values():
            opened.append(char)
        elif char in PAIRS and (not opened or opened.pop() != PAIRS[char]):
            return True
    return bool(opened)


def test_every_catalogue_entry_reads_as_words(entries):
    odd = [
        f"{entry.text}  ({artefact})"
        for entry in entries
        for artefact, pattern in ARTEFACTS.items()
        if pattern.search(entry.text)
    ]
    odd += [f"{entry.text}  (unbalanced brackets)" for entry in entries if unbalanced(entry.text)]
    assert not odd, "docs/steps.md would show:\n" + "\n".join(odd)


@pytest.mark.parametrize(
    "text",
    [
        "keeps a (private  / public  / )(churn / sales)",
        "the outcome [of x]was",
        "doing[<own>]",
        "with <\u2026>'s key",
        "a (b / c",
        "a [b) c]",
    ],
)
def test_the_artefact_check_sees_each_artefact(text):
    assert unbalanced(text) or any(p.search(text) for p in ARTEFACTS.values())


def test_digit_groups_of_a_regular_expression_are_said_to_be_numbers():
    entry = step_catalogue.CatalogueEntry(
        "x", "when", parsers.re(r"(?P<name>\w+) scores (?P<score>\d) in (?P<count>\d+) tries"), ""
    )
    assert entry.notes == ["`score` is one digit", "`count` is a whole number"]


@pytest.mark.parametrize("pattern", [r"a+ b", r"(?=look) ahead", r"\bword"])
def test_a_regular_expression_beyond_words_is_shown_as_it_is(pattern):
    with pytest.raises(step_catalogue.Unreadable):
        readable_regex(pattern)
    entry = step_catalogue.CatalogueEntry("x", "when", parsers.re(pattern), "")
    assert entry.text == f"When {pattern} (regular expression)"


def test_check_mode_fails_with_a_diff_and_the_command_when_the_file_is_stale(
    tmp_path, monkeypatch, capsys
):
    stale = tmp_path / "steps.md"
    stale.write_text(
        "# Steps you can use in a feature file\n\n- `Given Alice dances`\n", encoding="utf-8"
    )
    monkeypatch.setattr(step_catalogue, "CATALOGUE", stale)
    assert step_catalogue.main(["--check"]) == 1
    output = capsys.readouterr()
    assert "-- `Given Alice dances`" in output.out
    assert "+- `Given <name> is signed in`" in output.out
    assert REGENERATE in output.err
    assert step_catalogue.main([]) == 0
    assert step_catalogue.main(["--check"]) == 0
