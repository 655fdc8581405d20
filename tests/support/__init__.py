"""Fixtures shared by tests/ and features/, one module per job (registered in conftest.py)."""
