"""Settings: defaults, then `CANVASS_`-prefixed environment variables, then the caller's."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

ENV_PREFIX = "CANVASS"


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def defaults(instance_path: str) -> dict[str, Any]:
    """Every setting the service reads, with the value it has when nobody sets it."""
    instance = Path(instance_path)
    return {
        "DATABASE_URL": f"sqlite:///{instance / 'canvass.db'}",
        "SECRET_KEY": None,  # read from (or created in) SECRET_KEY_FILE when unset
        "SECRET_KEY_FILE": str(instance / "secret_key"),
        "VAULT_MASTER_KEY_FILE": str(instance / "vault_master_key"),
        "SQLITE_SYNCHRONOUS": "NORMAL",
        "LOG_LEVEL": "INFO",
        "SERVICE_AREA": None,  # a GeoJSON Polygon; sites outside it are refused
        "MAX_SITES_PER_OWNER": 50,
        "MAX_CAMERAS_PER_SITE": 64,
        # Per agency: {"SFPD": {"max_area_sq_mi": 0.3, "case_number_pattern": "SF-\\d{6}",
        #                       "deadline_days": 45}}
        "AGENCY_POLICIES": None,
        "MAX_REQUESTS_PER_OWNER_PER_WEEK": 3,
        "TIME_ZONE": "UTC",  # how pages show and read times, e.g. "America/Detroit"
        "RUN_SCHEDULER_IN_PROCESS": False,  # true: the web process also runs the jobs
        "FOOTAGE_DIR": None,  # default <instance>/footage
        "FOOTAGE_MAX_BYTES": 2 * 1024**3,
        "FOOTAGE_KEEP_DAYS_AFTER_CLOSE": 90,  # then files are deleted (recorded as events)
        "OWNER_INACTIVE_DAYS": 730,  # then the owner is told they will be erased; 0: never
        "OWNER_ERASURE_NOTICE_DAYS": 30,  # ...and erased this long after, unless they stay
        "PUBLIC_URL": "http://127.0.0.1:8080",  # how links in emails reach the service
        "MAIL_FROM": "Camera registry <registry@localhost>",
        "SMTP_HOST": None,  # unset: messages are written to <instance>/outbox/*.eml
        "SMTP_PORT": 25,
        "SMTP_USERNAME": None,
        "SMTP_PASSWORD": None,
        "SMTP_SECURITY": "none",  # none, starttls or tls
        "GEOCODER": "gazetteer",  # or any geopy service name, e.g. "nominatim" (network)
        "GEOCODER_USER_AGENT": None,
        "GEOCODER_OPTIONS": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,  # set to true behind HTTPS
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "API_TITLE": "Camera registry and video canvass",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",  # interactive documentation at /api/v1/docs
        "OPENAPI_SWAGGER_UI_URL": "/assets/swagger-ui/",
        "CHECKPOINT_ORIGIN": None,  # default: "<host of PUBLIC_URL>/camera-registry-log"
        "CHECKPOINT_KEY_FILE": None,  # default <instance>/checkpoint_key.pem (Ed25519, 0600)
        "CHECKPOINT_INTERVAL_MINUTES": 60,
        "MAP_TILE_URL": None,  # e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png" (network)
        "MAP_TILE_ATTRIBUTION": "",
    }


def load(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Fill `app.config` in order: defaults, environment, then `overrides`."""
    app.config.update(defaults(app.instance_path))
    app.config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        app.config.update(overrides)
    try:
        ZoneInfo(str(app.config["TIME_ZONE"]))
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigurationError(
            f"TIME_ZONE: {app.config['TIME_ZONE']!r} is not a time zone; use a name such as "
            "America/Detroit."
        ) from None
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = read_or_create_secret(
            Path(app.config["SECRET_KEY_FILE"]), lambda: secrets.token_hex(32).encode()
        ).decode()


def read_or_create_secret(path: Path, make: Callable[[], bytes]) -> bytes:
    """Read a secret kept in a file only the service's user can read, creating it once.

    The new secret is written to a private temporary file and linked into place, so two
    processes starting together agree on one secret and never read a half-written file.
    """
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(make())
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process linked its secret first: use theirs
    finally:
        os.unlink(temporary)
    return path.read_bytes()
