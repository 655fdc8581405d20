"""The way to the ``/docs`` page (Swagger UI) and its files, served by the app itself so
the page works with no internet access.

flask-smorest renders the page (``OPENAPI_SWAGGER_UI_PATH``); its scripts and styles come
from ``OPENAPI_SWAGGER_UI_URL``, which points here, at the files of the
``swagger-ui-bundle`` package. ``/`` sends a browser to the page: the first URL a newcomer
opens is the server's root. Neither is an API operation, so neither is in the OpenAPI
document.
"""

from pathlib import PurePosixPath

from flask import Blueprint, redirect, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound

ASSETS_URL = "/docs/assets/"
# One day, then a cheap revalidation (ETag): the URLs carry no version, so an upgrade of
# swagger-ui-bundle reaches browsers within a day.
MAX_AGE = 24 * 60 * 60
# Set explicitly, not guessed from the host's mimetypes database (which on some systems
# calls .js text/plain): responses carry ``X-Content-Type-Options: nosniff``, under which
# browsers refuse scripts and styles of the wrong type. Only the page's asset types are
# served; the bundle's demo index.html (which loads the Petstore from the internet) is not.
MIMETYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".map": "application/json",
    ".png": "image/png",
}

blp = Blueprint("docs-assets", __name__, url_prefix=ASSETS_URL.rstrip("/"))
home = Blueprint("docs-home", __name__)


@home.get("/")
def to_the_docs():
    return redirect(url_for("api-docs.openapi_swagger_ui"), code=302)


@blp.get("/<path:filename>")
def asset(filename: str):
    mimetype = MIMETYPES.get(PurePosixPath(filename).suffix)
    if mimetype is None:
        raise NotFound()
    return send_from_directory(swagger_ui_path, filename, mimetype=mimetype, max_age=MAX_AGE)
