"""Entry point for ``flask run`` and ``gunicorn wsgi:app``."""

from mlapi import create_app

app = create_app()
