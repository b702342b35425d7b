"""The registry holds nothing personal in clear: a site's label, address and position and a
camera's label are nowhere in the database's raw bytes (SQLite main file, WAL and shm; every
PostgreSQL relation and index file of the schema after a checkpoint), neither as text nor as
IEEE-754 doubles, not even the values an edit replaced (dead tuples, WAL) — only sealed.
The owner still reads them all back. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from registry import commands as c
from registry.geodesy import Point
from registry.queries import cameras_of_site, cameras_within, sites_of_owner
from tests.databases import raw_connection
from tests.support.raw_bytes import (
    Needles,
    current_schema,
    findings,
    postgres_relation_files,
    sqlite_files,
)

OWNER = "owner-zephyrine"
FIRST = {
    "label": "Zephyrine Quokkafield Bakery",
    "address": "4417 Quillfeather Lane",
    "latitude": 36.67891234567,
    "longitude": -121.65432198765,
    "camera": "Xanthippe porch lantern",
}
MOVED = {
    "label": "Zephyrine Quokkafield Patisserie",
    "address": "4419 Quillfeather Lane",
    "latitude": 36.67912345678,
    "longitude": -121.65401987654,
    "camera": "Xanthippe side gate",
}


def needles_for(values: dict) -> Needles:
    needles = Needles()
    for name in ("label", "address", "camera"):
        needles.text(name, values[name])
    needles.number("latitude", values["latitude"])
    needles.number("longitude", values["longitude"])
    return needles


def at_rest(services, database_url: str) -> dict[str, bytes]:
    """The database's bytes on disk: the SQLite files with the WAL, or the schema's
    PostgreSQL files after a checkpoint."""
    if services.engine.dialect.name == "sqlite":
        return sqlite_files(database_url)
    schema = current_schema(database_url)
    return {
        where: blob
        for where, blob in postgres_relation_files(database_url).items()
        if f" of {schema}." in where
    }


def register_and_edit(services) -> str:
    registry = services.registry
    site = str(uuid.uuid4())
    registry.execute(
        c.RegisterSite(
            site, OWNER, "business", FIRST["label"], FIRST["address"], FIRST["latitude"],
            FIRST["longitude"], location_source="pin",
        )
    )  # fmt: skip
    door = c.CameraSpec(FIRST["camera"], 90, 100, 20, "outdoor", "continuous", 14)
    registry.execute(c.AddCamera(site, OWNER, "lantern", door))
    registry.execute(
        c.ChangeSiteDetails(
            site, OWNER, MOVED["label"], MOVED["address"], MOVED["latitude"],
            MOVED["longitude"], "pin",
        )
    )  # fmt: skip
    gate = c.CameraSpec(MOVED["camera"], 90, 100, 20, "outdoor", "continuous", 14)
    registry.execute(c.ChangeCamera(site, OWNER, "lantern", gate))
    return site


def test_a_scan_of_the_raw_files_finds_values_that_are_stored_in_clear(app, database_url):
    """The scan itself works on this backend: a value written in clear is found."""
    services = app.extensions["canvass"]
    with raw_connection(database_url) as conn:
        conn.execute("CREATE TABLE scan_control (label TEXT, latitude DOUBLE PRECISION)")
        conn.execute(
            "INSERT INTO scan_control VALUES ('Zephyrine Quokkafield Bakery', 36.67891234567)"
        )
    needles = needles_for(FIRST)
    found = set().union(*findings(needles, at_rest(services, database_url)).values())
    # SQLite writes a double big-endian, PostgreSQL in the machine's order: either will do.
    assert "label" in found and {"latitude as <d", "latitude as >d"} & found


def test_nothing_the_owner_gave_is_in_clear_in_the_database_files_even_after_an_edit(
    app, database_url
):
    services = app.extensions["canvass"]
    site = register_and_edit(services)

    with services.engine.connect() as conn:
        [mine] = sites_of_owner(conn, services.vault, OWNER)
        [camera] = cameras_of_site(conn, services.vault, site)
        hits = cameras_within(conn, services.vault, _point(MOVED), 10)
        row = conn.execute(sa.text("SELECT cell_row, cell_col, private FROM registry_sites")).one()
    assert (mine["label"], mine["address"]) == (MOVED["label"], MOVED["address"])
    assert (mine["latitude"], mine["longitude"]) == (MOVED["latitude"], MOVED["longitude"])
    assert camera["label"] == MOVED["camera"]
    assert [hit.camera_id for hit in hits] == ["lantern"]
    assert hits[0].label is None  # a search never opens what the owner calls the camera
    assert (row.cell_row, row.cell_col) == (36679, hits[0].cell.col)
    assert row.private.startswith(f"pd1.{OWNER}.")

    places = at_rest(services, database_url)
    expected = ["SQLite main file", "SQLite WAL"]
    if services.engine.dialect.name == "postgresql":
        expected = [".registry_sites (", ".registry_cameras (", ".registry_sites_cell ("]
    assert all(any(name in where for where in places) for name in expected), sorted(places)
    leaks = findings(needles_for(FIRST), places) | {
        f"{where} (after the edit)": names
        for where, names in findings(needles_for(MOVED), places).items()
    }
    assert leaks == {}


def _point(values: dict) -> Point:
    return Point(values["latitude"], values["longitude"])
