"""Collect every ``*.feature`` file in this folder as a test module of its own.

A product owner adds a feature file and ``pytest features/`` runs it, with no Python to
write; ``pytest features/auth.feature`` runs one file. Steps live in ``tests/steps/``.
"""

import types

import pytest

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
