"""Turn pytest-bdd's cucumber JSON into reports/features.html, for product owners to read.

    pytest features/ -p no:randomly --cucumberjson=reports/cucumber.json
    python scripts/feature_report.py reports/cucumber.json reports/features.html

One self-contained page (inline CSS, no script, no external asset): totals, then each
feature with its description and tags, each scenario with its steps marked passed, failed,
undefined or not run. Outline scenarios appear once per example, with that example's values
(read from the Examples table of the feature file named in the JSON, when it is there).

Exit status: 0 when every scenario passed; 1 when the JSON holds no scenario at all (the run
collected nothing, or ran under xdist, where pytest-bdd writes ``[]``) or any scenario did not
pass; 2 when the JSON cannot be read (the page then says so, so no older page survives).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

STATUSES = ("passed", "failed", "undefined", "skipped")
LABELS = {
    "passed": "✔ passed",
    "failed": "✘ failed",
    "undefined": "? undefined",
    "skipped": "○ not run",
}
STYLESHEET = Path(__file__).with_name("feature_report.css")
SCENARIO_KEYWORDS = ("Scenario", "Example:")
EXAMPLES_KEYWORDS = ("Examples:", "Scenarios:")
UNDEFINED_HINT = (
    "no step definition matches this text: pick a step from docs/steps.md, "
    "or ask a developer to add one"
)
# pytest-bdd's exception, or features/conftest.py's words for it (the hint above).
UNDEFINED_MARKS = ("StepDefinitionNotFoundError", UNDEFINED_HINT)


@dataclass
class StepView:
    keyword: str
    text: str
    status: str
    error: str
    background: bool


@dataclass
class ScenarioView:
    name: str
    tags: list[str]
    steps: list[StepView]
    example: dict[str, str] | str | None = None
    anchor: str = ""  # the id of its <article>, which the banner links to when it fails

    @property
    def status(self) -> str:
        return next((s.status for s in self.steps if s.status != "passed"), "passed")

    @property
    def label(self) -> str:
        """Its name, and the values of its example row for an outline."""
        example = self.example or ""
        if isinstance(example, dict):
            example = ", ".join(f"{k}={v}" for k, v in example.items())
        return f"{self.name} ({example})" if example else self.name


@dataclass
class FeatureView:
    name: str
    uri: str
    description: str
    tags: list[str]
    scenarios: list[ScenarioView] = field(default_factory=list)


def step_views(element: dict) -> list[StepView]:
    """Each step's status as a reader means it: after the first failure, steps did not run.

    pytest-bdd marks every step after a failing one "failed" too, and gives the message to
    the first only; a StepDefinitionNotFoundError there (or the conftest's words for it) means
    the step is undefined.
    """
    views, broken = [], False
    for step in element.get("steps", []):
        result = step.get("result", {})
        status, error = result.get("status", "skipped"), result.get("error_message", "")
        if broken:
            status = "skipped"
        elif status == "failed":
            broken = True
            status = "undefined" if any(m in error for m in UNDEFINED_MARKS) else "failed"
        views.append(
            StepView(
                step.get("keyword", ""),
                step.get("name", ""),
                status,
                error,
                background=step.get("line", 0) < element.get("line", 0),
            )
        )
    return views


def split_row(line: str) -> list[str]:
    """Cells of a Gherkin table row; ``\\|`` is a pipe inside a cell."""
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [
        cell.strip().replace("\\|", "|").replace("\\n", "\n").replace("\\\\", "\\")
        for cell in cells
    ]


def example_tables(path: Path) -> dict[int, list[dict[str, str]]]:
    """Example rows per outline, keyed by the outline's line (English keywords only)."""
    tables: dict[int, list[dict[str, str]]] = {}
    outline, header, in_examples = None, None, False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith(EXAMPLES_KEYWORDS):
            header, in_examples = None, True
        elif line.startswith(SCENARIO_KEYWORDS):
            outline, header, in_examples = number, None, False
        elif line.startswith(("Background:", "Rule:", "Feature:")):
            outline, in_examples = None, False
        elif line.startswith("|") and in_examples and outline is not None:
            if header is None:
                header = split_row(line)
            else:
                tables.setdefault(outline, []).append(
                    dict(zip(header, split_row(line), strict=False))
                )
    return tables


def pytest_id(values: list[str]) -> str:
    """The id pytest-bdd gives an example row, as pytest escapes it."""
    return "-".join(values).encode("unicode_escape").decode("ascii")


def example_of(element: dict, tables: dict[int, list[dict[str, str]]]) -> dict | str | None:
    """The example row an outline scenario ran with, or the raw test id when not found."""
    found = re.search(r"\[(.*)\]$", element.get("id", ""))
    if not found:
        return None
    for row in tables.get(element.get("line"), []):
        if found.group(1) in {pytest_id(list(row.values())), "-".join(row.values())}:
            return row
    return found.group(1)


def load_features(data: list[dict], roots: list[Path]) -> list[FeatureView]:
    """``roots``: where to look for the feature files, whose paths the JSON gives relative."""
    features = []
    for number, feature in enumerate(data, start=1):
        paths = [root / feature.get("uri", "") for root in roots]
        path = next((p for p in paths if p.is_file()), None)
        tables = example_tables(path) if path else {}
        view = FeatureView(
            feature.get("name", ""),
            feature.get("uri", ""),
            feature.get("description", ""),
            [tag["name"] for tag in feature.get("tags", [])],
        )
        for index, element in enumerate(feature.get("elements", []), start=1):
            view.scenarios.append(
                ScenarioView(
                    element.get("name", ""),
                    [tag["name"] for tag in element.get("tags", [])],
                    step_views(element),
                    example_of(element, tables),
                    anchor=f"scenario-{number}-{index}",
                )
            )
        features.append(view)
    return features


def plural(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def e(text: object) -> str:
    return html.escape(str(text))


def gist(error: str, width: int = 160) -> str:
    """The first line of the last run of pytest's ``E`` lines: what went wrong, in one line."""
    runs: list[list[str]] = []
    previous_was_e = False
    for line in error.splitlines():
        is_e = line.startswith("E ")
        if is_e and not previous_was_e:
            runs.append([])
        if is_e:
            runs[-1].append(line[1:].strip())
        previous_was_e = is_e
    first = runs[-1][0] if runs else error.strip().splitlines()[0] if error.strip() else ""
    return first if len(first) <= width else first[: width - 1] + "…"


def tags_html(tags: list[str]) -> str:
    return "".join(f'<span class="tag">@{e(tag)}</span>' for tag in tags)


def step_html(step: StepView) -> str:
    note = ' <span class="note">(background)</span>' if step.background else ""
    mark = "✔" if step.status == "passed" else LABELS[step.status]
    parts = [
        f'<li class="step {step.status}{" background" if step.background else ""}">'
        f'<span class="state" title="{step.status}">{mark}</span>'
        f"<b>{e(step.keyword)}</b> {e(step.text)}{note}"
    ]
    if step.error:
        summary = (
            UNDEFINED_HINT
            if step.status == "undefined"
            else f"why it failed: {e(gist(step.error))}"
        )
        parts.append(f"<details><summary>{summary}</summary><pre>{e(step.error)}</pre></details>")
    return "".join(parts) + "</li>"


def scenario_html(scenario: ScenarioView) -> str:
    if isinstance(scenario.example, dict):
        values = ", ".join(f"{e(k)} <code>{e(v)}</code>" for k, v in scenario.example.items())
        example = f'<p class="example">Example: {values}</p>'
    elif scenario.example:
        example = f'<p class="example">Example: <code>{e(scenario.example)}</code></p>'
    else:
        example = ""
    return (
        f'<article class="scenario {scenario.status}" id="{scenario.anchor}"><h3>'
        f'<span class="state">{LABELS[scenario.status]}</span>{e(scenario.name)} '
        f'{tags_html(scenario.tags)}</h3>{example}<ol class="steps">'
        + "".join(step_html(step) for step in scenario.steps)
        + "</ol></article>"
    )


def feature_html(number: int, feature: FeatureView) -> str:
    paragraphs = "".join(
        f"<p>{e(' '.join(block.split()))}</p>"
        for block in feature.description.split("\n\n")
        if block.strip()
    )
    return (
        f'<section id="feature-{number}"><h2>{e(feature.name)} {tags_html(feature.tags)}'
        f'</h2><p class="uri">{e(feature.uri)}</p>{paragraphs}'
        + "".join(scenario_html(s) for s in feature.scenarios)
        + "</section>"
    )


def render_html(features: list[FeatureView], source: str, problem: str = "") -> str:
    scenarios = [s for f in features for s in f.scenarios]
    by_scenario = Counter(s.status for s in scenarios)
    by_step = Counter(st.status for s in scenarios for st in s.steps)
    failing = len(scenarios) - by_scenario["passed"]
    if problem:
        banner = f'<p class="banner bad">No report: {e(problem)}</p>'
    elif not scenarios:
        banner = '<p class="banner bad">No scenario ran: this report documents nothing.</p>'
    elif failing:
        links = "".join(
            f'<li class="{s.status}"><span class="state">{LABELS[s.status]}</span>'
            f'<a href="#{s.anchor}">{e(s.label)}</a></li>'
            for s in scenarios
            if s.status != "passed"
        )
        banner = (
            f'<div class="banner bad"><p>Scenarios not passing: {failing} of '
            f"{len(scenarios)} ({by_scenario['failed']} failed, "
            f"{by_scenario['undefined']} with an undefined step).</p><ul>{links}</ul></div>"
        )
    else:
        banner = (
            f'<p class="banner ok">Every scenario passes '
            f"({plural(len(scenarios), 'scenario')}).</p>"
        )
    header_cells = "".join(f'<th class="{s}">{LABELS[s]}</th>' for s in STATUSES)
    totals = (
        f'<table class="totals"><tr><th></th><th>total</th>{header_cells}</tr>'
        + "".join(
            f"<tr><th>{name}</th><td>{sum(counts.values())}</td>"
            + "".join(f'<td class="{s}">{counts[s]}</td>' for s in STATUSES)
            + "</tr>"
            for name, counts in (("scenarios", by_scenario), ("steps", by_step))
        )
        + "</table>"
    )
    tag_counts = Counter(
        tag for f in features for s in f.scenarios for tag in dict.fromkeys(f.tags + s.tags)
    )
    tag_line = ", ".join(
        f'<span class="tag">@{e(t)}</span>{plural(n, "scenario")}'
        for t, n in sorted(tag_counts.items())
    )
    contents = "".join(
        f'<li><a href="#feature-{n}">{e(f.name)}</a> '
        f'<span class="note">{plural(len(f.scenarios), "scenario")}, '
        f"{sum(s.status == 'passed' for s in f.scenarios)} pass</span></li>"
        for n, f in enumerate(features, start=1)
    )
    css = STYLESHEET.read_text(encoding="utf-8")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>mlapi: acceptance scenarios</title><style>{css}</style></head><body>"
        f"<h1>mlapi: what the service does, scenario by scenario</h1>"
        f'<p class="meta">{plural(len(features), "feature")}, from {e(source)}, '
        f"{generated}.</p>"
        f"{banner}{totals}"
        f"<p>Tags: {tag_line or 'none'}</p><ol>{contents}</ol>"
        + "".join(feature_html(n, f) for n, f in enumerate(features, start=1))
        + "</body></html>\n"
    )


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("json_path", type=Path, help="pytest-bdd's --cucumberjson output")
    options.add_argument("html_path", type=Path, help="the page to write")
    args = options.parse_args(argv)
    args.html_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(args.json_path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError("not cucumber JSON (a list of features)")
    except (OSError, ValueError) as error:
        problem = f"cannot read {args.json_path}: {error}"
        # Overwrite the page all the same: an old page must not pass for this run's.
        args.html_path.write_text(render_html([], str(args.json_path), problem), "utf-8")
        print(problem, file=sys.stderr)
        return 2
    features = load_features(data, [Path.cwd(), args.json_path.resolve().parent.parent])
    args.html_path.write_text(render_html(features, str(args.json_path)), encoding="utf-8")
    scenarios = [s for f in features for s in f.scenarios]
    failing = [s for s in scenarios if s.status != "passed"]
    print(
        f"wrote {args.html_path}: {plural(len(features), 'feature')}, "
        f"{plural(len(scenarios), 'scenario')}, {len(failing)} not passing"
    )
    if not scenarios:
        print(
            f"{args.json_path} holds no scenario: was the run empty, or under xdist (-n)?",
            file=sys.stderr,
        )
        return 1
    for scenario in failing:
        print(f"  {scenario.status}: {scenario.label}", file=sys.stderr)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
