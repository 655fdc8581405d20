"""mlapi: scikit-learn models served to many teams, with accounts, ownership and history."""

__version__ = "0.1.0"

from .app import create_app

__all__ = ["__version__", "create_app"]
