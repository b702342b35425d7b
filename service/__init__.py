"""The composition root: the one place where the parts of the service are wired together."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_smorest import Api

from accounts.api import blp as accounts_api
from registry.api import blp as registry_api

from . import cli, configuration, errors, observability
from .assets import bp as assets_blueprint
from .health import blp as health_blueprint
from .home import bp as home_blueprint
from .wiring import build_services


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web application: settings, logging, services, routes, errors, commands.

    `config` overrides the defaults and the `CANVASS_` environment variables.
    """
    app = Flask(__name__, instance_path=os.environ.get("CANVASS_INSTANCE_PATH"))
    configuration.load(app, config)
    observability.init_app(app)
    app.extensions["canvass"] = build_services(app)

    api = Api(app)
    api.register_blueprint(health_blueprint)
    api.register_blueprint(accounts_api)
    api.register_blueprint(registry_api)
    app.register_blueprint(home_blueprint)
    app.register_blueprint(assets_blueprint)

    errors.init_app(app)
    cli.init_app(app)
    return app
