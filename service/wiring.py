"""The parts one app instance runs on, built once in `create_app` and shared by requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import Geocoder

from accounts.handlers import AccountService
from accounts.links import Links
from accounts.projection import AccountsProjection
from audit.access import AccessLog
from audit.checkpoints import load_or_create_key
from audit.erasure import Eraser
from audit.gateway import AccessGateway
from audit.log import Signer, VerifiableLog
from audit.projection import EventCounts
from audit.tree import MerkleTree
from canvass.decision_pages import bp as decision_pages
from canvass.dispatching import Dispatcher
from canvass.footage import FootageStore
from canvass.handlers import CanvassService
from canvass.intake import FootageDesk
from canvass.policy import AgencyPolicy, policy_from_settings
from canvass.projection import CanvassProjection, RequestsProjection
from canvass.revise_pages import bp as revise_pages
from events_store import EventStore
from events_store.database import create_engine
from events_store.keystore import FileKeyStore
from events_store.outbox import Outbox
from events_store.projections import ProjectionRunner
from events_store.store import utc_now
from events_store.vault import KeyVault
from registry.decider import RegistryPolicy
from registry.geocoding import GazetteerGeocoder
from registry.geodesy import polygon_from_geojson
from registry.handlers import RegistryService
from registry.projection import RegistryProjection

from .configuration import read_or_create_secret, using
from .mail import transport_from_settings


@dataclass(frozen=True)
class Services:
    """Database engine, event store, key vault, projections and domain services of one app."""

    engine: sa.Engine
    store: EventStore
    vault: KeyVault
    projections: ProjectionRunner
    registry: RegistryService
    geocoder: Geocoder
    outbox: Outbox
    accounts: AccountService
    canvass: CanvassService
    footage: FootageDesk
    log: VerifiableLog
    eraser: Eraser
    gateway: AccessGateway

    def close(self) -> None:
        """Release connections (tests and CLI commands call this when done)."""
        self.store.close()
        self.engine.dispose()


def build_services(app: Flask) -> Services:
    """Wire the parts together from the app's settings; connects to nothing yet."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with using("DATABASE_URL"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    store = EventStore.from_url(url, sqlite_synchronous=app.config["SQLITE_SYNCHRONOUS"])
    with using("KEY_STORE"):
        keys = FileKeyStore(Path(app.config["KEY_STORE"]))
    with using("VAULT_MASTER_KEY_FILE"):
        master_key = read_or_create_secret(
            Path(app.config["VAULT_MASTER_KEY_FILE"]), KeyVault.generate_master_key
        )
        vault = KeyVault(engine, master_key, keys)
    projections = [
        EventCounts(),
        MerkleTree(),
        AccessLog(),
        AccountsProjection(vault),
        RegistryProjection(vault, engine.dialect.name),
        CanvassProjection(vault),
        RequestsProjection(),
    ]
    runner = ProjectionRunner(engine, store, projections)
    registry = RegistryService(store, vault, engine, runner, registry_policy(app.config))
    geocoder = build_geocoder(app.config, engine)
    outbox = Outbox(engine, transport_from_settings(app.config, app.instance_path), vault=vault)
    links = Links(app.config["SECRET_KEY"])
    accounts = AccountService(store, vault, engine, runner, links, app.config["PUBLIC_URL"])
    policies = agency_policies(app.config)
    dispatcher = Dispatcher(
        store,
        vault,
        engine,
        runner,
        links,
        lambda: accounts.public_url,
        int(app.config["MAX_REQUESTS_PER_OWNER_PER_WEEK"]),
        ZoneInfo(app.config["TIME_ZONE"]),
    )
    canvass = CanvassService(
        store,
        vault,
        engine,
        runner,
        lambda agency: policies.get(agency) or AgencyPolicy(),
        utc_now,
        dispatcher,
        lambda: accounts.public_url,
        ZoneInfo(app.config["TIME_ZONE"]),
    )
    app.register_blueprint(decision_pages)
    app.register_blueprint(revise_pages)
    files = FootageStore(
        Path(app.config["FOOTAGE_DIR"] or Path(app.instance_path) / "footage"),
        int(app.config["FOOTAGE_MAX_BYTES"]),
    )
    desk = FootageDesk(store, vault, engine, runner, links, files)
    log = VerifiableLog(engine, store, runner, checkpoint_signer(app), utc_now)
    eraser = Eraser(engine, vault, runner, accounts, registry, desk, outbox)
    return Services(
        engine,
        store,
        vault,
        runner,
        registry,
        geocoder,
        outbox,
        accounts,
        canvass,
        desk,
        log,
        eraser,
        AccessGateway(canvass, desk),
    )


def checkpoint_signer(app: Flask) -> Signer:
    """The key that signs checkpoints (made on first start), its name and the log's origin as
    the settings give them; the first signature fixes the origin and name for good."""
    origin = app.config["CHECKPOINT_ORIGIN"] or (
        f"{urlsplit(app.config['PUBLIC_URL']).netloc}/camera-registry-log"
    )
    key_file = app.config["CHECKPOINT_KEY_FILE"] or Path(app.instance_path) / "checkpoint_key.pem"
    with using("CHECKPOINT_KEY_FILE"):
        key = load_or_create_key(Path(key_file))
    return Signer(origin, origin, key, origin_is_set=bool(app.config["CHECKPOINT_ORIGIN"]))


def build_geocoder(config: Mapping[str, Any], engine: sa.Engine) -> Geocoder:
    """The offline gazetteer, unless the settings name a geopy geocoder (which needs the
    network): GEOCODER = "nominatim" with GEOCODER_USER_AGENT, for example."""
    name = config.get("GEOCODER", "gazetteer")
    if name == "gazetteer":
        return GazetteerGeocoder(engine)
    options = dict(config.get("GEOCODER_OPTIONS") or {})
    if config.get("GEOCODER_USER_AGENT"):
        options["user_agent"] = config["GEOCODER_USER_AGENT"]
    with using("GEOCODER_OPTIONS"):
        geocoder: Geocoder = get_geocoder_for_service(name)(**options)
    return geocoder


def agency_policies(config: Mapping[str, Any]) -> dict[str, AgencyPolicy]:
    """Each agency's canvass policy from the settings (checked when the settings were read);
    agencies not named there follow the defaults."""
    given = config.get("AGENCY_POLICIES") or {}
    return {agency: policy_from_settings(settings) for agency, settings in given.items()}


def registry_policy(config: Mapping[str, Any]) -> RegistryPolicy:
    """The registry's limits from the settings; the service area is a GeoJSON polygon."""
    area = config.get("SERVICE_AREA")
    return RegistryPolicy(
        max_sites_per_owner=int(config["MAX_SITES_PER_OWNER"]),
        max_cameras_per_site=int(config["MAX_CAMERAS_PER_SITE"]),
        service_area=polygon_from_geojson(area) if area else None,
    )


def services() -> Services:
    """The current app's services."""
    return current_app.extensions["canvass"]
