"""The composition root: the one place where the parts of the service are wired together."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask, request
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect

from accounts.api import blp as accounts_api
from accounts.auth import current_user
from accounts.pages import bp as account_pages
from audit.api import blp as audit_api
from audit.pages import bp as audit_pages
from audit.public import blp as transparency_api
from audit.public import bp as transparency_pages
from canvass.api import blp as canvass_api
from canvass.pages import bp as request_pages
from canvass.staff_pages import bp as canvass_pages
from registry.address_pages import address_pages
from registry.api import blp as registry_api
from registry.pages import bp as owner_pages
from registry.pages import public as public_pages
from validation.paths import refuse_control_characters_in_path

from . import cli, configuration, errors, file_modes, observability, openapi, security_headers
from .assets import bp as assets_blueprint
from .configuration import ConfigurationError
from .health import blp as health_blueprint
from .home import bp as home_blueprint
from .wiring import build_services


def instance_path() -> str:
    """The folder of the database, the keys and the files: `CANVASS_INSTANCE_PATH`, or
    `instance/` beside the code in a checkout of the source. An installed service has no
    such place of its own, and never keeps them inside its environment, which an upgrade or
    a rebuild replaces along with the key to every person's data."""
    chosen = os.environ.get("CANVASS_INSTANCE_PATH", "").strip()
    if chosen:
        return str(Path(chosen).absolute())
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "setup.cfg").is_file() and (checkout / "service").is_dir():
        return str(checkout / "instance")
    raise ConfigurationError(
        "CANVASS_INSTANCE_PATH is not set. An installed service keeps its database, keys and "
        "files in a folder you choose, outside its Python environment (which an upgrade "
        "replaces): set CANVASS_INSTANCE_PATH to it, for example /var/lib/camera-canvass."
    )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web application: settings, logging, services, routes, errors, commands.

    `config` overrides the defaults and the `CANVASS_` environment variables.
    """
    app = Flask(__name__, instance_path=instance_path())
    configuration.load(app, config)
    observability.init_app(app)
    security_headers.init_app(app)
    app.before_request(refuse_control_characters_in_path)
    app.extensions["canvass"] = build_services(app)
    file_modes.init_app(app)

    api = Api(app)
    api.register_blueprint(health_blueprint)
    api.register_blueprint(accounts_api)
    api.register_blueprint(registry_api)
    api.register_blueprint(canvass_api)
    api.register_blueprint(audit_api)
    api.register_blueprint(transparency_api)
    openapi.init_app(app, api)
    app.register_blueprint(home_blueprint)
    app.register_blueprint(assets_blueprint)

    app.register_blueprint(account_pages)
    app.register_blueprint(owner_pages)
    app.register_blueprint(public_pages)
    app.register_blueprint(request_pages)
    app.register_blueprint(canvass_pages)
    app.register_blueprint(audit_pages)
    app.register_blueprint(transparency_pages)
    app.register_blueprint(address_pages)
    csrf = CSRFProtect(app)
    for blueprint in (
        health_blueprint,
        accounts_api,
        registry_api,
        canvass_api,
        audit_api,
        transparency_api,
    ):
        csrf.exempt(blueprint)  # bearer tokens, never cookies, authenticate the API

    @app.context_processor
    def signed_in() -> dict[str, Any]:
        return {"signed_in_user": current_user() if not request.path.startswith("/api/") else None}

    errors.init_app(app)
    cli.init_app(app)
    if app.config["RUN_SCHEDULER_IN_PROCESS"] and not _in_a_command():
        from . import scheduler

        scheduler.start_in_background(app)
    return app


def _in_a_command() -> bool:
    """Whether the app is being built for a command line command (`flask ... db upgrade`,
    `scheduler run`), which never runs the in-process scheduler; `flask run` serves."""
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name != "run"
