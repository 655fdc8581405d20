"""mlapi: scikit-learn models served to many teams, with accounts, ownership and history."""

from .app import create_app
from .version import __version__

__all__ = ["__version__", "create_app"]
