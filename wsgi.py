"""Entry point for ``flask run``, every ``flask`` command and ``gunicorn wsgi:app``.

Settings that cannot make a safe, working app end the process with one line naming the
setting (exit status 1), not a traceback whose cause is on its last line.
"""

from mlapi import create_app
from mlapi.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    raise SystemExit(f"Error: mlapi cannot start: {exc}") from None
