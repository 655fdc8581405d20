"""The release, in /health and the package metadata (pyproject.toml says the same)."""

__version__ = "0.1.0"
