"""Collect every ``*.feature`` file in this folder as a test module of its own.

A product owner adds a feature file and ``pytest features/`` runs it, with no Python to
write; ``pytest features/auth.feature`` runs one file. Steps live in ``tests/steps/``.

The two hooks at the end keep ``--cucumberjson`` (the source of reports/features.html)
honest about undefined steps.
"""

import types
from pathlib import Path

import pytest
from pytest_bdd.reporting import StepReport, scenario_reports_registry

_BIND_SCENARIOS = compile("from pytest_bdd import scenarios\nscenarios(FEATURE_FILE)\n",
                          "<feature>", "exec")


class FeatureModule(pytest.Module):
    def _getobj(self):
        module = types.ModuleType(f"features.{self.path.stem}")
        module.__file__ = str(self.path)
        module.FEATURE_FILE = str(self.path)
        exec(_BIND_SCENARIOS, module.__dict__)  # noqa: S102  (our own constant code)
        return module


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".feature":
        return FeatureModule.from_parent(parent, path=file_path)
    return None


def pytest_configure(config):
    """pytest-bdd writes the cucumber JSON at the end of the run but never creates its folder."""
    path = config.getoption("cucumber_json_path", None)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def pytest_bdd_step_func_lookup_error(request, step):
    """Record an undefined step in the scenario's report, as failed.

    pytest-bdd reports only the steps that started, so by itself the cucumber JSON shows a
    scenario with an undefined step as passed, its remaining steps missing. Marked failed
    here, the step carries the StepDefinitionNotFoundError message and the steps after it
    are listed too.
    """
    report = scenario_reports_registry.get(request.node)
    if report is not None:
        report.add_step_report(StepReport(step=step))
        report.fail()
