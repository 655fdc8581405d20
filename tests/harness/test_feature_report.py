"""reports/features.html must tell product owners the truth: what passed, failed, or was
never defined, and an empty run must not look like a good one."""

import json
import re
import shutil
from pathlib import Path

import pytest

from scripts.feature_report import main

ROOT = Path(__file__).resolve().parents[2]

OUTLINE = """\
@auth
Feature: Signing in
  People sign in with a password.

  Scenario Outline: Bad passwords
    When someone signs in with <password>
    Then the sign-in is refused

    Examples:
      | password      |
      | "a\\|b"        |
      | "á-b"         |
"""


def step(keyword, name, line, status, error=None):
    result = {"status": status, "duration": 1}
    if error is not None:
        result["error_message"] = error
    return {
        "keyword": keyword,
        "name": name,
        "line": line,
        "match": {"location": ""},
        "result": result,
    }


def scenario(name, line, steps, test_id="test_x", keyword="Scenario", tags=()):
    return {
        "keyword": keyword,
        "id": test_id,
        "name": name,
        "line": line,
        "description": "",
        "tags": [{"name": t, "line": line - 1} for t in tags],
        "type": "scenario",
        "steps": steps,
    }


def feature(elements, uri="features/signing_in.feature"):
    return {
        "keyword": "Feature",
        "uri": uri,
        "name": "Signing in",
        "id": uri,
        "line": 2,
        "description": "People sign in with a password.",
        "language": "en",
        "tags": [{"name": "auth", "line": 1}],
        "elements": elements,
    }


@pytest.fixture
def report(tmp_path, monkeypatch):
    """Write the JSON, run the generator from a project root; give back (status, page)."""
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "signing_in.feature").write_text(OUTLINE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def run(data):
        Path("cucumber.json").write_text(json.dumps(data), encoding="utf-8")
        status = main(["cucumber.json", "out/features.html"])
        page = Path("out/features.html")
        return status, page.read_text(encoding="utf-8") if page.exists() else None

    return run


def test_a_passing_run_is_green_and_shows_features_tags_and_example_values(report):
    data = [
        feature(
            [
                scenario(
                    "Bad passwords",
                    5,
                    [
                        step("When", 'someone signs in with "a|b"', 6, "passed"),
                        step("Then", "the sign-in is refused", 7, "passed"),
                    ],
                    test_id='test_bad_passwords["a|b"]',
                    keyword="Scenario Outline",
                    tags=["slow"],
                ),
                scenario(
                    "Bad passwords",
                    5,
                    [step("When", 'someone signs in with "\xe1-b"', 6, "passed")],
                    test_id='test_bad_passwords["\\xe1-b"]',
                    keyword="Scenario Outline",
                ),
            ]
        )
    ]
    status, page = report(data)
    assert status == 0
    assert "Every scenario passes (2 scenarios)." in page
    assert "Signing in" in page
    assert "People sign in with a password." in page
    assert '<span class="tag">@auth</span>' in page
    assert '<span class="tag">@slow</span>' in page
    assert "password <code>&quot;a|b&quot;</code>" in page
    assert "password <code>&quot;\xe1-b&quot;</code>" in page
    assert "<script" not in page
    assert "http" not in page


def test_failed_and_undefined_steps_are_told_apart_and_later_steps_did_not_run(report):
    undefined = (
        "E   pytest_bdd.exceptions.StepDefinitionNotFoundError: Step definition is "
        'not found: When "Alice dances".'
    )
    failed = "    def x():\n>       assert 200 == 422\nE       AssertionError: refused?\n"
    data = [
        feature(
            [
                scenario(
                    "Dancing",
                    10,
                    [
                        step("Given", "Alice is signed in", 3, "passed"),
                        step("When", "Alice dances", 11, "failed", undefined),
                        step("Then", "everyone claps", 12, "failed", ""),
                    ],
                ),
                scenario(
                    "Refusing",
                    14,
                    [
                        step("When", "Alice asks", 15, "failed", failed),
                        step("Then", "she is refused", 16, "failed", ""),
                    ],
                ),
            ]
        )
    ]
    status, page = report(data)
    assert status == 1
    assert "Scenarios not passing: 2 of 2 (1 failed, 1 with an undefined step)." in page
    assert '<li class="step undefined">' in page
    assert "pick a step from docs/steps.md" in page
    assert "why it failed: AssertionError: refused?" in page
    assert page.count('<li class="step skipped">') == 2
    assert '<li class="step passed background">' in page


def test_the_banner_links_to_each_scenario_that_did_not_pass(report):
    undefined = 'E   pytest_bdd.exceptions.StepDefinitionNotFoundError: When "Alice dances"'
    data = [
        feature(
            [
                scenario("Signing in", 5, [step("When", "Alice signs in", 6, "passed")]),
                scenario(
                    "Bad passwords",
                    5,
                    [
                        step(
                            "When",
                            'someone signs in with "a|b"',
                            6,
                            "failed",
                            "E   AssertionError: 200",
                        )
                    ],
                    test_id='test_bad_passwords["a|b"]',
                    keyword="Scenario Outline",
                ),
            ]
        ),
        feature(
            [scenario("Dancing", 10, [step("When", "Alice dances", 11, "failed", undefined)])],
            uri="features/dancing.feature",
        ),
    ]
    status, page = report(data)
    assert status == 1
    banner = re.search(r'<div class="banner bad">(.*?)</div>', page).group(1)
    assert "Scenarios not passing: 2 of 3" in banner
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', banner)
    assert [text for _, text in links] == ["Bad passwords (password=&quot;a|b&quot;)", "Dancing"]
    for anchor, text in links:  # each link leads to that scenario, and only to it
        target = re.findall(rf'<article class="scenario (\w+)" id="{anchor}"><h3>(.*?)</h3>', page)
        assert len(target) == 1
        status, heading = target[0]
        assert status in {"failed", "undefined"}
        assert f"</span>{text.split(' (')[0]} " in heading
    ids = re.findall(r'<article [^>]*id="([^"]+)"', page)
    assert len(ids) == len(set(ids)) == 3


@pytest.mark.parametrize("data", [[], [feature([])]])
def test_a_report_of_nothing_fails(report, data, capsys):
    status, page = report(data)
    assert status == 1
    assert "No scenario ran" in page
    assert "holds no scenario" in capsys.readouterr().err


def test_json_that_is_not_a_cucumber_report_is_refused_with_status_2(report):
    status, page = report({"features": []})
    assert status == 2
    assert "No report: cannot read cucumber.json: not cucumber JSON" in page


def test_a_missing_json_overwrites_an_older_page(report, capsys):
    status, page = report([feature([scenario("Old", 5, [step("When", "x", 6, "passed")])])])
    assert (status, "Every scenario passes (1 scenario)." in page) == (0, True)
    Path("cucumber.json").unlink()
    assert main(["cucumber.json", "out/features.html"]) == 2
    page = Path("out/features.html").read_text(encoding="utf-8")
    assert "No report: cannot read cucumber.json" in page
    assert "Every scenario passes (1 scenario)." not in page


@pytest.mark.slow
def test_a_real_run_reports_an_undefined_step_as_undefined(pytester, monkeypatch):
    """Against pytest-bdd itself: without the hook in features/conftest.py the cucumber
    JSON drops the undefined step and calls the scenario passed."""
    shutil.copy(ROOT / "conftest.py", pytester.path / "conftest.py")
    (pytester.path / "features").mkdir()
    shutil.copy(ROOT / "features" / "conftest.py", pytester.path / "features" / "conftest.py")
    (pytester.path / "features" / "wish.feature").write_text(
        "Feature: Wishes\n  Scenario: Alice dances\n    Given Alice is signed in\n"
        "    When Alice dances the tango\n    Then everyone claps\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    result = pytester.runpytest_subprocess(
        "features", "-p", "no:randomly", "-p", "no:cacheprovider", "--cucumberjson=out/c.json"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "The page to read: reports/features.html, made from out/c.json"
            " by `python scripts/feature_report.py out/c.json "
            "reports/features.html` (tox -e docs runs it next)"
        ]
    )
    monkeypatch.chdir(pytester.path)
    assert main(["out/c.json", "out/features.html"]) == 1
    page = (pytester.path / "out" / "features.html").read_text(encoding="utf-8")
    assert '<li class="step undefined"><span class="state" title="undefined">' in page
    assert "When</b> Alice dances the tango" in page
    assert "Then</b> everyone claps" in page
