"""The application factory."""

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .access_cache import init_access_cache
from .api import init_api
from .auth import tokens  # noqa: F401  (registers the JWT callbacks)
from .auth.state import init_auth
from .bootstrap import MIGRATIONS_DIR, bootstrap, instance_secret_key
from .cli import register_commands
from .config import ConfigError, load_config, resolve_paths
from .cors import init_cors
from .database import init_hot_engine  # also registers the SQLite connection tuning
from .errors import register_error_handlers
from .extensions import db, migrate
from .http import init_http
from .limits import init_limits
from .ops.observability import init_observability
from .ops.recorder import register_endpoint_recorder
from .pipeline import install as install_pipeline
from .predictions.state import init_predictions
from .registry.state import init_registry
from .strict_json import StrictJSONProvider
from .webhooks.events import init_webhooks


def create_app(config: dict | None = None) -> Flask:
    """Build an app from ``MLAPI_*`` variables, with ``config`` overriding them."""
    settings = load_config(config)
    app = Flask(
        __name__,
        instance_path=settings.get("INSTANCE_PATH")
        or os.environ.get("MLAPI_INSTANCE_PATH")
        or None,
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    resolve_paths(settings, app.instance_path)
    if not settings["SECRET_KEY"]:  # development or testing on one host (load_config)
        settings["SECRET_KEY"] = settings["JWT_SECRET_KEY"] = instance_secret_key(
            Path(app.instance_path)
        )
    app.config.update(settings)  # the key is set before anything derives from it
    app.json = StrictJSONProvider(app)
    app.json.sort_keys = False
    trust_proxies(app)
    init_observability(app)

    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_endpoint_recorder(app)
    init_http(app)
    register_commands(app)
    install_pipeline(app)  # every request hook, in its order (mlapi/pipeline.py)
    if app.config.get("BOOTSTRAP", True):
        bootstrap(app)
    return app


def trust_proxies(app: Flask) -> None:
    """With ``TRUSTED_PROXIES=N``, the client's address is the one the N-th proxy from the
    right of ``X-Forwarded-For`` saw (rate limits, access log); only the address:
    ``X-Forwarded-Proto``/``Host`` are not believed."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies < 0:
        raise ConfigError(f"MLAPI_TRUSTED_PROXIES must be 0 or more, got {proxies}")
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=0)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    init_hot_engine(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    init_auth(app)
    init_registry(app)
    init_predictions(app)
    init_access_cache(app)
    init_limits(app)
    init_cors(app)
    init_webhooks(app)


def register_blueprints(app: Flask) -> None:
    from .admin.routes import blp as admin
    from .audit.routes import blp as audit
    from .auth.routes import blp as accounts
    from .keys.routes import blp as keys
    from .ops.docs import blp as docs_assets
    from .ops.docs import home as docs_home
    from .ops.routes import blp as operations
    from .predictions.by_name_routes import blp as predictions_by_name
    from .predictions.routes import blp as predictions
    from .registry.names_routes import blp as names
    from .registry.routes import blp as models
    from .teams.routes import blp as teams
    from .webhooks.routes import blp as webhooks

    api = init_api(app)
    domains = (accounts, keys, teams, models, names, predictions, predictions_by_name)
    for blueprint in (*domains, admin, audit, operations, webhooks):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs_assets)  # files of /docs, not API operations
    app.register_blueprint(docs_home)  # / -> /docs
    app.extensions["mlapi.api"] = api
