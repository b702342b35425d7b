"""Importing agencies' camera registries: real files, idempotent, bad rows reported."""

from __future__ import annotations

import csv
import json

import pytest
import sqlalchemy as sa

from registry.geodesy import Point
from registry.importing import site_id_for
from registry.queries import cameras_within

FILES = {
    "detroit-green-light": "detroit_project_green_light_locations.csv",
    "baltimore-citiwatch": "baltimore_cctv_locations.csv",
}


def usable_rows(path, lat_column, lon_column) -> int:
    """An independent count: rows whose position parses and lies on Earth."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        count = 0
        for record in csv.DictReader(file):
            try:
                lat, lon = float(record[lat_column]), float(record[lon_column])
            except ValueError:
                continue
            count += -90 <= lat <= 90 and -180 <= lon <= 180
        return count


def import_file(cli, path, file_format):
    result = cli.invoke(args=["registry", "import", str(path), "--format", file_format])
    assert result.exit_code == 0, result.output
    return result.output


def counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        sites = conn.execute(sa.text("SELECT count(*) FROM registry_sites")).scalar_one()
        cameras = conn.execute(sa.text("SELECT count(*) FROM registry_cameras")).scalar_one()
    return sites, cameras


@pytest.mark.slow
def test_both_real_registries_import_completely_and_a_second_run_adds_nothing(
    app, cli, shared_data
):
    engine, vault = app.extensions["canvass"].engine, app.extensions["canvass"].vault
    detroit = usable_rows(shared_data / FILES["detroit-green-light"], "Y", "X")
    baltimore = usable_rows(shared_data / FILES["baltimore-citiwatch"], "Latitude", "Longitude")
    assert (detroit, baltimore) == (766, 614)

    first = import_file(cli, shared_data / FILES["detroit-green-light"], "detroit-green-light")
    assert f"Added {detroit} sites; 0 were already registered; 0 rows rejected." in first
    import_file(cli, shared_data / FILES["baltimore-citiwatch"], "baltimore-citiwatch")
    assert counts(engine) == (detroit + baltimore, detroit + baltimore)
    head = app.extensions["canvass"].store.head()

    again = import_file(cli, shared_data / FILES["detroit-green-light"], "detroit-green-light")
    assert f"Added 0 sites; {detroit} were already registered" in again
    import_file(cli, shared_data / FILES["baltimore-citiwatch"], "baltimore-citiwatch")
    assert counts(engine) == (detroit + baltimore, detroit + baltimore)
    assert app.extensions["canvass"].store.head() == head

    # Fenkell St Mobil, the first Detroit row, is found where the file puts it.
    with engine.connect() as conn:
        hits = cameras_within(conn, vault, Point(42.401723, -83.199179), 5)
    assert [hit.site_id for hit in hits] == [site_id_for(vault, "detroit-green-light:1")]


def test_unusable_rows_are_reported_with_their_line_and_reason_and_the_rest_imported(
    app, cli, tmp_path
):
    path = tmp_path / "baltimore.csv"
    path.write_text(
        "ID,CameraName,Latitude,Longitude\n"
        "1,Good camera,39.29,-76.61\n"
        "2,No position,,\n"
        "3,Off the planet,139.29,-76.61\n"
        ",No id,39.29,-76.61\n"
        "5,,39.29,-76.61\n"
        "1,Same id again,39.30,-76.62\n"
        "7,Another good one,39.31,-76.63\n"
    )

    output = import_file(cli, path, "baltimore-citiwatch")

    assert "Added 2 sites; 0 were already registered; 5 rows rejected." in output
    assert "line 3: the position ('', '') is not a number" in output
    assert "line 4: the position (139.29, -76.61) is not on Earth" in output
    assert "line 5: the row has no id" in output
    assert "line 6: the row has no name" in output
    assert "line 7: baltimore-citiwatch:1 appears more than once in the file" in output
    assert counts(app.extensions["canvass"].engine) == (2, 2)
    store = app.extensions["canvass"].store
    for ref in ("baltimore-citiwatch:1", "baltimore-citiwatch:7"):
        events = store.read_stream(f"site-{site_id_for(app.extensions['canvass'].vault, ref)}")
        assert [event.type for event in events] == ["SiteRegistered", "CameraAdded"]
        assert len({event.recorded_at for event in events}) == 1  # one append, all or nothing


def test_an_unknown_format_is_refused_before_anything_is_read(cli, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    result = cli.invoke(args=["registry", "import", str(path), "--format", "paris"])
    assert result.exit_code == 2
    assert "'paris' is not one of" in result.output


def test_only_the_rows_inside_an_area_are_imported_and_an_unreadable_area_is_refused(
    app, cli, tmp_path
):
    path = tmp_path / "baltimore.csv"
    path.write_text(
        "ID,CameraName,Latitude,Longitude\n"
        "1,Inside the harbour square,39.285,-76.610\n"
        "2,Outside it,39.330,-76.610\n"
        "3,Inside as well,39.281,-76.605\n"
    )
    square = [[-76.62, 39.27], [-76.60, 39.27], [-76.60, 39.29], [-76.62, 39.29], [-76.62, 39.27]]
    area = tmp_path / "harbour.geojson"
    area.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [square]}}
                ],
            }
        )
    )
    args = ["registry", "import", str(path), "--format", "baltimore-citiwatch", "--inside"]

    result = cli.invoke(args=[*args, str(area)])

    assert result.exit_code == 0, result.output
    assert "Added 2 sites; 0 were already registered; 0 rows rejected." in result.output
    vault = app.extensions["canvass"].vault
    with app.extensions["canvass"].engine.connect() as conn:
        found = cameras_within(conn, vault, Point(39.30, -76.61), 5_000)
    assert {hit.site_id for hit in found} == {
        site_id_for(vault, f"baltimore-citiwatch:{row}") for row in (1, 3)
    }

    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")
    refused = cli.invoke(args=[*args, str(broken)])
    assert refused.exit_code == 2
    assert "broken.geojson is not a GeoJSON area: it is not JSON" in refused.output
    point = tmp_path / "point.geojson"
    point.write_text('{"type": "Point", "coordinates": [-76.61, 39.28]}')
    refused = cli.invoke(args=[*args, str(point)])
    assert refused.exit_code == 2
    assert "it holds a Point where a Polygon or MultiPolygon belongs" in refused.output
    assert counts(app.extensions["canvass"].engine) == (2, 2)
