"""Every word a step parses out of the Gherkin changes what the step does.

A product owner who writes "Alice predicts with Bob's key" and then edits "Bob" must get a
scenario that tests something else, or fails: never one that still passes, unchanged. So a
step function must take each parameter its parser names ({holder}, ``(?P<name>…)``) and
read it in its body. The names are read from what pytest-bdd registered when the step
modules were imported (each step's parser), the uses from the function's syntax tree.

A pronoun or any other word that must not change what a step does is not parsed at all:
write it as a non-capturing group, ``(?:her|his|their)``.
"""

import ast
import importlib
import importlib.util
import inspect
import sys
import textwrap
from pathlib import Path

import pytest
from pytest_bdd import parsers
from pytest_bdd.steps import step_function_context_registry

STEPS = Path(__file__).resolve().parents[1] / "steps"
STEP_MODULES = sorted(path.stem for path in STEPS.glob("*_steps.py"))


def parsed_names(parser) -> list[str]:
    """The parameters a step's parser hands to its function."""
    if isinstance(parser, parsers.re):
        return list(parser.regex.groupindex)
    if isinstance(parser, parsers.parse):  # cfparse too
        return list(parser.parser.named_fields)
    return []


def read_names(func) -> tuple[set[str], set[str]]:
    """(the function's parameters, the names its body reads)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    definition = next(node for node in tree.body if isinstance(node, ast.FunctionDef))
    arguments = definition.args
    declared = {arg.arg for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    read = {
        node.id
        for statement in definition.body
        for node in ast.walk(statement)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return declared, read


def ignored_parameters(module) -> list[str]:
    """One line per parameter a step of ``module`` parses and then does nothing with."""
    problems = []
    for context in step_function_context_registry.values():
        func = context.step_func
        if func.__module__ != module.__name__:
            continue
        declared, read = read_names(func)
        for name in parsed_names(context.parser):
            if name not in declared:
                reason = "is not a parameter of the function"
            elif name not in read:
                reason = "is never read in the function"
            else:
                continue
            line = func.__code__.co_firstlineno
            problems.append(
                f"{Path(module.__file__).name}:{line}: {func.__name__}: "
                f"{{{name}}} of {context.parser.name!r} {reason}"
            )
    return sorted(set(problems))


@pytest.mark.parametrize("module_name", STEP_MODULES)
def test_every_parsed_parameter_changes_what_the_step_does(module_name):
    module = importlib.import_module(f"tests.steps.{module_name}")
    assert ignored_parameters(module) == []


def test_every_step_module_is_checked():
    assert len(STEP_MODULES) >= 11


SYNTHETIC = """
from pytest_bdd import given, parsers, then


@given(parsers.parse("{name} has {count:d} keys"))
def has_keys(keys, name, count):
    keys[name] = count


@then(parsers.parse("{name} is told there are {count:d} keys"))
def told(keys, count):
    assert keys


@then(parsers.re(r"(?P<name>\\w+) holds (?P<what>keys|models)"))
def holds(keys, name, what):
    assert keys[name]
"""


def test_a_step_that_ignores_what_it_parses_is_reported(tmp_path, monkeypatch):
    path = tmp_path / "synthetic_steps.py"
    path.write_text(SYNTHETIC)
    spec = importlib.util.spec_from_file_location("synthetic_steps", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "synthetic_steps", module)
    spec.loader.exec_module(module)

    assert ignored_parameters(module) == [
        "synthetic_steps.py:10: told: {count} of '{name} is told there are {count:d} keys' "
        "is never read in the function",
        "synthetic_steps.py:10: told: {name} of '{name} is told there are {count:d} keys' "
        "is not a parameter of the function",
        "synthetic_steps.py:15: holds: {what} of '(?P<name>\\\\w+) holds (?P<what>keys|models)' "
        "is never read in the function",
    ]
