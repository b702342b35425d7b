"""Settings: defaults, then `CANVASS_`-prefixed environment variables, then the caller's."""

from __future__ import annotations

import difflib
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from canvass.policy import InvalidPolicySettings, policy_from_settings

from . import setting_kinds as kinds

ENV_PREFIX = "CANVASS"
log = logging.getLogger(__name__)


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
        # Subjects' data keys, one 0600 file each, outside the database (one host only;
        # back it up apart from the database, on a short rotation: see events_store.keystore)
        "KEY_STORE": str(instance / "keys"),
        "SQLITE_SYNCHRONOUS": "NORMAL",
        "LOG_LEVEL": "INFO",
        "SERVICE_AREA": None,  # a GeoJSON Polygon; sites outside it are refused
        "MAX_SITES_PER_OWNER": 50,
        "MAX_CAMERAS_PER_SITE": 64,
        # Per agency: {"SFPD": {"max_area_sq_mi": 0.3, "case_number_pattern": "SF-\\d{6}",
        #                       "case_number_example": "SF-123456", "deadline_days": 45}}
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
        "HSTS_SECONDS": 0,  # Strict-Transport-Security max-age; 0: not sent (HTTPS not yet sure)
        "SESSION_COOKIE_SECURE": False,  # set to true behind HTTPS
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "SESSION_IDLE_MINUTES": 30,  # a signed-in browser unused this long must log in again
        "SESSION_MAX_HOURS": 8,  # ...and every session ends this long after its login
        "MFA_REQUIRED_FOR": "staff",  # who must sign in with a second factor: staff, everyone
        "LOGIN_BANNER": None,  # the agency's use notice, shown above the login form
        "API_TOKEN_DAYS": 90,  # how long a new API token works unless its maker says less
        "API_TOKEN_MAX_DAYS": 365,  # the longest a token may be asked to work
        "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "API_TITLE": "Camera registry and video canvass",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",  # interactive documentation at /api/v1/docs
        "OPENAPI_SWAGGER_UI_URL": "/assets/swagger-ui/",
        # default "<host of PUBLIC_URL>/camera-registry-log"; fixed at the first signature
        "CHECKPOINT_ORIGIN": None,
        "CHECKPOINT_KEY_FILE": None,  # default <instance>/checkpoint_key.pem (Ed25519, 0600)
        "CHECKPOINT_INTERVAL_MINUTES": 60,
        "DIGEST_INTERVAL_MINUTES": 10,  # how often investigators get a digest of their news
        "MAP_TILE_URL": None,  # e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png" (network)
        "MAP_TILE_ATTRIBUTION": "",
        "MAP_BASEMAP": None,  # a .pmtiles street basemap the maps draw offline (no tile server)
    }


def agency_policies(value: Any) -> dict[str, Any]:
    """Per agency, the settings of its canvass policy; every agency's are checked now."""
    found = kinds.json_value(value)
    if not isinstance(found, dict):
        raise kinds.WrongValue(
            'it must be a JSON object naming each agency, e.g. {"SFPD": {"max_area_sq_mi": 0.3}}.'
        )
    for agency, settings in found.items():
        try:
            policy_from_settings(settings)
        except InvalidPolicySettings as wrong:
            raise kinds.WrongValue(f"agency {agency!r}: {wrong}") from None
    return found


# How each setting is read; a setting missing here is read by the kind of its default.
PARSERS: dict[str, kinds.Parse] = {
    "DATABASE_URL": kinds.database_address,
    "SECRET_KEY": kinds.optional(kinds.secret),
    "SECRET_KEY_FILE": kinds.path("file"),
    "VAULT_MASTER_KEY_FILE": kinds.path("file"),
    "KEY_STORE": kinds.path("folder"),
    "SQLITE_SYNCHRONOUS": kinds.one_of("OFF", "NORMAL", "FULL", "EXTRA"),
    "LOG_LEVEL": kinds.one_of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
    "SERVICE_AREA": kinds.optional(kinds.service_area),
    "MAX_SITES_PER_OWNER": kinds.whole_number(1, 100_000, 50),
    "MAX_CAMERAS_PER_SITE": kinds.whole_number(1, 10_000, 64),
    "AGENCY_POLICIES": kinds.optional(agency_policies),
    "MAX_REQUESTS_PER_OWNER_PER_WEEK": kinds.whole_number(1, 1000, 3),
    "TIME_ZONE": kinds.time_zone,
    "RUN_SCHEDULER_IN_PROCESS": kinds.switch,
    "FOOTAGE_DIR": kinds.optional(kinds.path("folder")),
    "FOOTAGE_MAX_BYTES": kinds.whole_number(1, 2**40, 2 * 1024**3),
    "FOOTAGE_KEEP_DAYS_AFTER_CLOSE": kinds.whole_number(0, 36_500, 90),
    "OWNER_INACTIVE_DAYS": kinds.whole_number(0, 36_500, 730),
    "OWNER_ERASURE_NOTICE_DAYS": kinds.whole_number(1, 3650, 30),
    "PUBLIC_URL": kinds.public_address,
    "MAIL_FROM": kinds.email_address,
    "SMTP_HOST": kinds.optional(kinds.text),
    "SMTP_PORT": kinds.whole_number(1, 65_535, 587),
    "SMTP_USERNAME": kinds.optional(kinds.secret),
    "SMTP_PASSWORD": kinds.optional(kinds.secret),
    "SMTP_SECURITY": kinds.one_of("none", "starttls", "tls"),
    "GEOCODER": kinds.geocoder,
    "GEOCODER_USER_AGENT": kinds.optional(kinds.text),
    "GEOCODER_OPTIONS": kinds.optional(kinds.json_object),
    "SESSION_COOKIE_HTTPONLY": kinds.switch,
    "SESSION_COOKIE_SAMESITE": kinds.optional(kinds.one_of("Lax", "Strict", "None")),
    "HSTS_SECONDS": kinds.whole_number(0, 63_072_000, 31_536_000),
    "SESSION_COOKIE_SECURE": kinds.switch,
    "PERMANENT_SESSION_LIFETIME": kinds.whole_number(60, 366 * 86_400, 8 * 3600),
    "SESSION_IDLE_MINUTES": kinds.whole_number(1, 1440, 30),
    "SESSION_MAX_HOURS": kinds.whole_number(1, 720, 8),
    "MFA_REQUIRED_FOR": kinds.one_of("staff", "everyone"),
    "LOGIN_BANNER": kinds.optional(kinds.notice),
    "API_TOKEN_DAYS": kinds.whole_number(1, 3650, 90),
    "API_TOKEN_MAX_DAYS": kinds.whole_number(1, 3650, 365),
    "WTF_CSRF_TIME_LIMIT": kinds.optional(kinds.whole_number(60, 366 * 86_400, 3600)),
    "MAX_CONTENT_LENGTH": kinds.whole_number(1024, 2**40, 1024 * 1024),
    "CHECKPOINT_ORIGIN": kinds.optional(kinds.log_origin),
    "CHECKPOINT_KEY_FILE": kinds.optional(kinds.path("file")),
    "CHECKPOINT_INTERVAL_MINUTES": kinds.whole_number(1, 525_600, 60),
    "DIGEST_INTERVAL_MINUTES": kinds.whole_number(1, 1440, 10),
    "MAP_TILE_URL": kinds.optional(kinds.tile_address),
    "MAP_TILE_ATTRIBUTION": kinds.text,
    "MAP_BASEMAP": kinds.optional(kinds.pmtiles_file),
}
# Environment variables with the prefix that are not settings of the app.
NOT_SETTINGS = ("INSTANCE_PATH", "TOKEN", "TEST_POSTGRES_URL", "BENCH_POSTGRES_URL")


def load(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Fill `app.config` in order: defaults, environment, then `overrides`; then check every
    setting, stopping with ConfigurationError at the first that is wrong."""
    known = defaults(app.instance_path)
    flask_own = set(app.config)
    app.config.update(known)
    app.config.update(from_environment(os.environ, known, flask_own))
    if overrides:
        app.config.update(overrides)
    for name, default in known.items():
        app.config[name] = checked(name, app.config[name], default)
    _check_together(app.config)
    if not app.config["SECRET_KEY"]:
        with using("SECRET_KEY_FILE"):
            app.config["SECRET_KEY"] = read_or_create_secret(
                Path(app.config["SECRET_KEY_FILE"]), lambda: secrets.token_hex(32).encode()
            ).decode()


@contextmanager
def using(name: str) -> Iterator[None]:
    """Report a file or service a setting names that cannot be used (unreadable, of the
    wrong kind, refusing its options) as ConfigurationError naming the setting."""
    try:
        yield
    except OSError as wrong:
        problem = f"{wrong.strerror or wrong}: {wrong.filename}" if wrong.filename else wrong
        raise ConfigurationError(f"{ENV_PREFIX}_{name}: {problem}.") from None
    except (ValueError, TypeError) as wrong:
        raise ConfigurationError(f"{ENV_PREFIX}_{name}: {wrong}.") from None


def from_environment(
    environ: Mapping[str, str], known: Mapping[str, Any], flask_own: set[str]
) -> dict[str, Any]:
    """The settings given as `CANVASS_` variables, as text (Flask's own as JSON, or text);
    an unknown one is reported, and one that looks like a misspelt setting stops start-up."""
    found: dict[str, Any] = {}
    for variable, value in sorted(environ.items()):
        name = variable.removeprefix(f"{ENV_PREFIX}_")
        if name == variable or name in NOT_SETTINGS:
            continue
        if name in known:
            found[name] = value
        elif name in flask_own:
            found[name] = _json_or_text(value)
        else:
            _unknown(name, [*known, *NOT_SETTINGS])
    return found


def checked(name: str, value: Any, default: Any) -> Any:
    """The setting's value as the service uses it, or ConfigurationError saying what is wrong
    (a secret's value is never repeated)."""
    parse = PARSERS.get(name) or _parser_like(default)
    try:
        return parse(value)
    except kinds.WrongValue as wrong:
        raise ConfigurationError(f"{ENV_PREFIX}_{name}: {wrong}") from None


def _check_together(config: Mapping[str, Any]) -> None:
    if config["SMTP_PASSWORD"] and not config["SMTP_USERNAME"]:
        raise ConfigurationError(
            f"{ENV_PREFIX}_SMTP_PASSWORD is set without {ENV_PREFIX}_SMTP_USERNAME; "
            "set both, or neither."
        )
    if config["API_TOKEN_DAYS"] > config["API_TOKEN_MAX_DAYS"]:
        raise ConfigurationError(
            f"{ENV_PREFIX}_API_TOKEN_DAYS ({config['API_TOKEN_DAYS']}) is longer than "
            f"{ENV_PREFIX}_API_TOKEN_MAX_DAYS ({config['API_TOKEN_MAX_DAYS']}); "
            "make it shorter, or allow longer tokens."
        )
    if config["SESSION_COOKIE_SAMESITE"] == "None" and not config["SESSION_COOKIE_SECURE"]:
        raise ConfigurationError(
            f"{ENV_PREFIX}_SESSION_COOKIE_SAMESITE: None needs "
            f"{ENV_PREFIX}_SESSION_COOKIE_SECURE=true (browsers refuse it otherwise); "
            "or use Lax."
        )


def _unknown(name: str, known: list[str]) -> None:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.85)
    if close:
        raise ConfigurationError(
            f"{ENV_PREFIX}_{name} is not a setting; did you mean {ENV_PREFIX}_{close[0]}?"
        )
    log.warning("%s_%s is not a setting the service knows; it is ignored", ENV_PREFIX, name)


def _parser_like(default: Any) -> kinds.Parse:
    # Settings of Flask's extensions (OPENAPI_*, ...) may be None to turn a feature off.
    if isinstance(default, bool):
        return kinds.optional(kinds.switch)
    if isinstance(default, int):
        return kinds.optional(kinds.whole_number(0, 2**63 - 1, default))
    if isinstance(default, str):
        return kinds.optional(kinds.text)
    return kinds.anything


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


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
