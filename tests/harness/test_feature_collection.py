"""Product owners add feature files with no Python: prove the harness collects them.

Each test builds a throw-away project with this repository's two conftest files (and so
its real step definitions) plus a new feature file, and runs pytest on it in a subprocess.
"""

import shutil
from pathlib import Path

import pytest

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


@pytest.fixture
def project(pytester, monkeypatch):
    shutil.copy(ROOT / "conftest.py", pytester.path / "conftest.py")
    (pytester.path / "features").mkdir()
    shutil.copy(ROOT / "features" / "conftest.py", pytester.path / "features" / "conftest.py")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    return pytester


def _run(project, *args):
    return project.runpytest_subprocess(*args, "-p", "no:randomly", "-p", "no:cacheprovider")


def test_a_new_feature_file_is_collected_and_run(project):
    (project.path / "features" / "new_rule.feature").write_text(NEW_FEATURE)
    result = _run(project, "features")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*features/new_rule.feature*"])


def test_one_feature_file_can_be_run_alone(project):
    (project.path / "features" / "new_rule.feature").write_text(NEW_FEATURE)
    (project.path / "features" / "other.feature").write_text(
        NEW_FEATURE.replace("today", "yesterday"))
    result = _run(project, "features/other.feature", "-v")
    result.assert_outcomes(passed=1)
    assert "new_rule.feature" not in result.stdout.str()


def test_an_undefined_step_fails_naming_the_step(project):
    (project.path / "features" / "wish.feature").write_text(UNDEFINED_STEP)
    result = _run(project, "features")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "StepDefinitionNotFoundError" in output
    assert "Alice dances the tango with the default model" in output
