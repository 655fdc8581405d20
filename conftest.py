"""Root conftest: shared fixtures and step definitions for tests/ and features/.

pytest only honours ``pytest_plugins`` here, in the root conftest (pytest-bdd needs the
step modules registered as plugins so every feature file sees every step).
"""

pytest_plugins = [
    "pytester",
    "tests.fixtures",
    "tests.steps.common_steps",
    "tests.steps.auth_steps",
    "tests.steps.prediction_steps",
]
