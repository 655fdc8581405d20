"""Product owners add feature files with no Python: prove the harness collects them.

Each test builds a throw-away project with this repository's two conftest files (and so
its real step definitions) plus a new feature file, and runs pytest on it in a subprocess.
"""

import shutil
from pathlib import Path

import pytest

from scripts.feature_report import UNDEFINED_HINT

ROOT = Path(__file__).resolve().parents[2]

NEW_FEATURE = """\
Feature: A feature written by a product owner today
  Scenario: A signed-in member gets a prediction
    Given Alice is signed in
    When Alice asks the default model about a patient with 10 measurements
    Then Alice gets a prediction from the default model
"""

UNDEFINED_STEP = """\
Feature: A feature that asks for something nobody has built yet
  Scenario: Alice dances
    Given Alice is signed in
    When Alice dances the tango with the default model
    Then the default model applauds
"""

# The typo of issue 15: a second scenario without its colon.
TYPO = (
    NEW_FEATURE
    + """
  Scenario Alice renames a key
    Given Alice is signed in
"""
)


@pytest.fixture
def project(pytester, monkeypatch):
    shutil.copy(ROOT / "conftest.py", pytester.path / "conftest.py")
    (pytester.path / "features").mkdir()
    shutil.copy(ROOT / "features" / "conftest.py", pytester.path / "features" / "conftest.py")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    return pytester


def _run(project, *args):
    return project.runpytest_subprocess(*args, "-p", "no:randomly", "-p", "no:cacheprovider")


def _last_line(result):
    return [line for line in result.stdout.lines if line.strip()][-1]


def test_a_new_feature_file_is_collected_and_run(project):
    (project.path / "features" / "new_rule.feature").write_text(NEW_FEATURE)
    result = _run(project, "features")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*features/new_rule.feature*"])


def test_one_feature_file_can_be_run_alone(project):
    (project.path / "features" / "new_rule.feature").write_text(NEW_FEATURE)
    (project.path / "features" / "other.feature").write_text(
        NEW_FEATURE.replace("today", "yesterday")
    )
    result = _run(project, "features/other.feature", "-v")
    result.assert_outcomes(passed=1)
    assert "new_rule.feature" not in result.stdout.str()


def test_an_undefined_step_is_told_in_words_on_the_last_line(project):
    (project.path / "features" / "wish.feature").write_text(UNDEFINED_STEP)
    result = _run(project, "features")
    result.assert_outcomes(failed=1)
    assert _last_line(result) == (
        "features/wish.feature:4: When Alice dances the tango with "
        f"the default model: {UNDEFINED_HINT}"
    )
    assert "StepDefinitionNotFoundError" not in result.stdout.str()


@pytest.fixture
def project_with_settings(project):
    """The throw-away project with pyproject.toml too: its addopts measure coverage."""
    shutil.copy(ROOT / "pyproject.toml", project.path / "pyproject.toml")
    (project.path / "tests").mkdir()
    (project.path / "tests" / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    (project.path / "features" / "new_rule.feature").write_text(NEW_FEATURE)
    return project


@pytest.mark.slow
def test_a_run_of_feature_files_ends_with_the_report_then_a_typo_in_one_line(project_with_settings):
    """What a product owner sees: the file with a typo fails in one line, the other files
    still run, no coverage table; the last lines say where the report is, then the typo."""
    (project_with_settings.path / "features" / "typo.feature").write_text(TYPO)
    result = _run(project_with_settings, "features")
    result.assert_outcomes(failed=1, passed=1)
    assert [line for line in result.stdout.lines if line.strip()][-2:] == [
        "The page to read: reports/features.html, made by `tox -e docs` (it runs every scenario)",
        'features/typo.feature:7: "Scenario Alice renames a key" is not a Gherkin keyword '
        'line: write "Scenario: Alice renames a key", with a colon',
    ]
    output = result.stdout.str()
    assert "FAILED features/typo.feature::gherkin_check" in output
    assert not [line for line in result.stdout.lines if line.startswith("E ")]  # no traceback
    assert "Error" not in output
    assert "TOTAL" not in output
    assert not list(project_with_settings.path.glob(".coverage*"))


@pytest.mark.slow
def test_the_full_run_still_measures_coverage_and_holds_it_to_the_gate(project_with_settings):
    """`pytest` with no path (the README's command): these two tests cover far less than
    90 % of mlapi/, so the gate must fail the run."""
    result = _run(project_with_settings)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["TOTAL *", "*Required test coverage of 90% not reached*"])
