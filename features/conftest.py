"""Collect every ``*.feature`` file in this folder as a test module of its own.

A product owner adds a feature file and ``pytest features/`` runs it, with no Python to
write; ``pytest features/auth.feature`` runs one file. Steps live in ``tests/steps/``.

What a product owner reads in the terminal is shaped here too:

- a file with a Gherkin typo fails as one test with one line per problem (file, line, what
  is wrong, how to fix it: scripts/gherkin_check.py), and the other files still run;
- an undefined step fails its scenario with the sentence the HTML report uses, not
  pytest-bdd's StepDefinitionNotFoundError;
- those lines are repeated as the last lines of the run, after where the report is;
- a run of feature files only measures no coverage (the full run keeps it, and its gate).

The lookup-error hook also keeps ``--cucumberjson`` (the source of reports/features.html)
honest about undefined steps.

Why a collector, and not pytest-bdd's ``scenarios()`` in a ``test_features.py`` alone
(docs/decisions.md, "The test harness"): ``scenarios(".")`` binds every file's scenarios
into that one module, so pytest has no collector for a ``.feature`` path
(``pytest features/auth.feature`` is "ERROR: not found"), one file's Gherkin typo is a
collection error of the module that stops every file's scenarios, and node ids name the
Python module, not the feature file. So each file is a module of its own, whose body is
the one line ``scenarios(FEATURE_FILE)``: ``scenarios()`` puts the tests in the calling
frame's locals, which are a module's namespace only in module-level code, hence ``exec``
of that constant line in the new module (what an import does with a module's code).
"""

import types
from pathlib import Path

import pytest
from pytest_bdd.reporting import StepReport, scenario_reports_registry

from scripts.feature_report import UNDEFINED_HINT
from scripts.gherkin_check import problems

_BIND_SCENARIOS = compile(
    "from pytest_bdd import scenarios\nscenarios(FEATURE_FILE)\n", "<feature>", "exec"
)
FEATURES = Path(__file__).resolve().parent
# The one-line account of what went wrong in a test of this folder (see pytest_runtest_makereport).
PROBLEM = pytest.StashKey[str]()


def shown(path: Path, config: pytest.Config) -> str:
    """A path as the reader typed it: relative to where pytest was started, when inside it."""
    try:
        return str(Path(path).resolve().relative_to(config.invocation_params.dir.resolve()))
    except ValueError:
        return str(path)


class FeatureModule(pytest.Module):
    def _getobj(self):
        module = types.ModuleType(f"features.{self.path.stem}")
        module.__file__ = str(self.path)
        module.FEATURE_FILE = str(self.path)
        exec(_BIND_SCENARIOS, module.__dict__)  # noqa: S102  (our own constant code)
        return module

    def collect(self):
        """The file's scenarios; or, when it has a problem, one test that fails with it."""
        where = shown(self.path, self.config)
        lines = [f"{where}:{problem.line}: {problem.message}" for problem in problems(self.path)]
        if not lines:
            return super().collect()
        return [FeatureFileProblem.from_parent(self, name="gherkin_check", lines=lines)]


class FeatureFileProblem(pytest.Item):
    """Stands for a feature file that has a problem, and fails with it, one line each."""

    def __init__(self, *, lines, **kwargs):
        super().__init__(**kwargs)
        self.stash[PROBLEM] = "\n".join(lines)

    def runtest(self):
        raise GherkinTypo(self.stash[PROBLEM])

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, None, self.name


class GherkinTypo(Exception):
    """A feature file that Gherkin cannot read, or reads otherwise than its author meant."""


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".feature":
        return FeatureModule.from_parent(parent, path=file_path)
    return None


def pytest_bdd_step_func_lookup_error(request, step):
    """Record an undefined step: in the scenario's report, and in words for the terminal.

    pytest-bdd reports only the steps that started, so by itself the cucumber JSON shows a
    scenario with an undefined step as passed, its remaining steps missing. Marked failed
    here, the step carries the message and the steps after it are listed too.
    """
    report = scenario_reports_registry.get(request.node)
    if report is not None:
        report.add_step_report(StepReport(step=step))
        report.fail()
    where = f"{shown(request.node.path, request.config)}:{step.line_number}"
    request.node.stash[PROBLEM] = f"{where}: {step.keyword} {step.name}: {UNDEFINED_HINT}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failure we can put in words is reported in those words only (no traceback, and no
    captured log: the steps before an undefined one are not what went wrong)."""
    report = yield
    problem = item.stash.get(PROBLEM, None)
    if problem and report.failed and call.when == "call":
        report.longrepr = problem
        report.sections = []
        report.feature_problem = problem  # a report attribute: xdist passes it to the controller
    return report


def pytest_configure(config):
    """pytest-bdd writes the cucumber JSON at the end of the run but never creates its folder;
    a run of feature files only skips coverage; the end of every run is ours to print."""
    path = config.getoption("cucumber_json_path", None)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    features_only = features_only_run(config)
    if features_only and not any(arg.startswith("--cov") for arg in config.invocation_params.args):
        skip_coverage(config)
    config.pluginmanager.register(EndOfRun(config, features_only), "feature-end-of-run")


def features_only_run(config) -> bool:
    """True for ``pytest features/``, ``pytest features/auth.feature`` and the like."""
    if config.args_source != pytest.Config.ArgsSource.ARGS or not config.args:
        return False
    paths = [
        Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args
    ]
    return all(path == FEATURES or FEATURES in path.parents for path in paths)


def skip_coverage(config):
    """Coverage of mlapi/ by the scenarios alone is no figure anyone reads: stop measuring it
    and print no table. pyproject.toml's addopts start it before any conftest loads, and
    pytest-cov reads ``--no-cov`` from the early namespace when the session starts."""
    plugin = config.pluginmanager.get_plugin("_cov")
    if plugin is None:
        return
    config.option.no_cov = config.known_args_namespace.no_cov = True
    if plugin.cov_controller is not None and plugin.cov_controller.started:
        plugin.cov_controller.pause()


class EndOfRun:
    """Prints, after pytest's last line: where the report is (on a run of feature files
    only), then one line per problem found in a feature file, so that is what a product owner
    sees last."""

    def __init__(self, config, features_only):
        self.config = config
        self.features_only = features_only
        self.problems = {}

    def pytest_runtest_logreport(self, report):
        problem = getattr(report, "feature_problem", None)
        if problem:
            self.problems.update(dict.fromkeys(problem.splitlines()))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session):
        result = yield
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is None or hasattr(self.config, "workerinput"):
            return result
        if self.features_only and not self.config.option.collectonly:
            terminal.write_line(self.report_line())
        for problem in self.problems:
            terminal.write_line(problem, red=True, bold=True)
        return result

    def report_line(self) -> str:
        page = shown(self.config.rootpath / "reports" / "features.html", self.config)
        source = self.config.getoption("cucumber_json_path", None)
        if source:
            return (
                f"The page to read: {page}, made from {source} by `python "
                f"scripts/feature_report.py {source} {page}` (tox -e docs runs it next)"
            )
        return f"The page to read: {page}, made by `tox -e docs` (it runs every scenario)"
