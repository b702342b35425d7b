"""`flask geocoder import` given a file it cannot read says which file and what is wrong in
one line, exits non-zero, and loads nothing."""

from __future__ import annotations

import gzip

import pytest
import sqlalchemy as sa

from registry.geocoding import gazetteer

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

EAS_HEADER = "address,number,number_suffix,street,lon,lat\n"
CITY_HALL = "1 DR CARLTON B GOODLETT PL,1,,DR CARLTON B GOODLETT PL,-122.41924,37.77929\n"


def _write(path, content: bytes | str):
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# (what the operator gives, how the file is made, words the message must hold)
BAD_FILES = [
    ("a file that is not there", None, ["there is no such file"]),
    ("a folder", "folder", ["is a folder"]),
    ("an empty file", "", ["is empty"]),
    ("a gzip of the city's file", gzip.compress((EAS_HEADER + CITY_HALL).encode()),
     ["is not a CSV text file", "not UTF-8"]),
    ("a file with NUL bytes", EAS_HEADER + "1 A ST,1,,A ST,\x00,\x00\n",
     ["is not a CSV text file", "line 2 holds NUL bytes"]),
    ("a JSON document", '{"type": "FeatureCollection", "features": []}\n',
     ["is not an address file the gazetteer reads", "missing:"]),
    ("a CSV without the positions", "address,number,number_suffix,street\n1 A ST,1,,A ST\n",
     ["missing: lat, lon"]),
    ("OpenAddresses without its hash", "LON,LAT,NUMBER,STREET\n-122.4,37.7,1,A ST\n",
     ["missing: HASH"]),
]  # fmt: skip


@pytest.mark.parametrize(("given", "content", "words"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_an_unreadable_address_file_is_named_with_what_is_wrong(
    app, cli, tmp_path, given, content, words
):
    path = tmp_path / "addresses.csv"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        _write(path, content)

    result = cli.invoke(args=["geocoder", "import", str(path)])

    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1, result.output  # one line, no traceback
    assert result.output.startswith(f"Error: {path}"), result.output
    for word in words:
        assert word in result.output, result.output
    with app.extensions["canvass"].engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(gazetteer)).scalar() == 0


def test_a_bad_byte_far_down_the_file_is_found_before_anything_is_loaded(app, cli, tmp_path):
    path = _write(tmp_path / "city.csv", (EAS_HEADER + CITY_HALL * 3).encode() + b"\xff\xfe,1\n")

    result = cli.invoke(args=["geocoder", "import", str(path)])

    assert result.exit_code == 1 and "is not a CSV text file" in result.output, result.output
    with app.extensions["canvass"].engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(gazetteer)).scalar() == 0


def test_a_good_file_still_loads(cli, tmp_path):
    path = _write(tmp_path / "city.csv", EAS_HEADER + CITY_HALL)

    result = cli.invoke(args=["geocoder", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "Added 1 addresses; 0 were already loaded" in result.output
