"""Fixtures of tests/unit that these tests use too (the shared ones are in tests/support/)."""

from tests.unit.conftest import configured_app, private_model_store  # noqa: F401
