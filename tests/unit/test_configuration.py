"""A wrong setting stops start-up with a message a city's IT staff can act on."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from service import create_app
from service.configuration import ConfigurationError

REPOSITORY = Path(__file__).resolve().parents[2]
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[-122.45, 37.75], [-122.40, 37.80], [-122.40, 37.75], [-122.45, 37.80],
                     [-122.45, 37.75]]],
}  # fmt: skip
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-122.52, 37.70], [-122.35, 37.70], [-122.35, 37.83], [-122.52, 37.83],
                     [-122.52, 37.70]]],
}  # fmt: skip


@pytest.fixture
def start(tmp_path, monkeypatch):
    """Start the service with these environment variables, as an operator would."""
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    started = []

    def start_with(env: dict[str, str]):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'canvass.db'}"}
        app = create_app({} if "CANVASS_DATABASE_URL" in env else database)
        started.append(app)
        return app

    yield start_with
    for app in started:
        app.extensions["canvass"].close()


def policies(**agency: object) -> str:
    return json.dumps({"SFPD": agency})


BAD_SETTINGS = [
    # The agency policies: each key, each type, each limit.
    ("AGENCY_POLICIES", policies(max_area_sqmi=0.3), "'max_area_sqmi' is not a policy setting"),
    ("AGENCY_POLICIES", policies(max_area_sqmi=0.3), "did you mean max_area_sq_mi?"),
    ("AGENCY_POLICIES", policies(max_area_sq_mi="big"), "max_area_sq_mi: 'big' is not a number"),
    ("AGENCY_POLICIES", policies(max_area_sq_mi=True), "max_area_sq_mi: True is not a number"),
    ("AGENCY_POLICIES", policies(min_area_sq_mi=-1), "min_area_sq_mi must be more than 0"),
    ("AGENCY_POLICIES", policies(max_area_sq_mi=0.01), "is below min_area_sq_mi (0.025)"),
    ("AGENCY_POLICIES", policies(max_window_minutes=10**12), "at most 525600"),
    ("AGENCY_POLICIES", policies(min_window_minutes=900), "is above max_window_minutes (720)"),
    ("AGENCY_POLICIES", policies(deadline_days=0), "deadline_days must be more than 0"),
    ("AGENCY_POLICIES", policies(case_number_pattern="SF-(\\d{6}"), "not a regular expression"),
    ("AGENCY_POLICIES", policies(case_number_pattern=6), "case_number_pattern: 6 is not text"),
    (
        "AGENCY_POLICIES",
        policies(case_number_pattern="SF-\\d{6}"),
        "the example '2026-004512' does not match case_number_pattern",
    ),
    (
        "AGENCY_POLICIES",
        policies(case_number_pattern="SF-\\d{6}", case_number_example="SF-12"),
        "the example 'SF-12' does not match",
    ),
    ("AGENCY_POLICIES", json.dumps({"SFPD": [0.3]}), "agency 'SFPD': its policy must be"),
    ("AGENCY_POLICIES", json.dumps(["SFPD"]), "must be a JSON object naming each agency"),
    ("AGENCY_POLICIES", '{"SFPD": {"max_area_sq_mi": 0.3,}}', "is not valid JSON"),
    # Numbers, switches, choices.
    ("SMTP_PORT", "abc", "'abc' is not a whole number; use one from 1 to 65535, e.g. 587"),
    ("SMTP_PORT", "70000", "70000 is out of range; use a whole number from 1 to 65535"),
    ("MAX_SITES_PER_OWNER", "0", "0 is out of range"),
    ("FOOTAGE_MAX_BYTES", "2GB", "'2GB' is not a whole number"),
    ("OWNER_INACTIVE_DAYS", "-1", "-1 is out of range"),
    ("CHECKPOINT_INTERVAL_MINUTES", "1.5", "'1.5' is not a whole number"),
    ("HSTS_SECONDS", "-5", "-5 is out of range"),
    ("HSTS_SECONDS", "1 year", "'1 year' is not a whole number"),
    ("PERMANENT_SESSION_LIFETIME", "0", "0 is out of range"),
    ("RUN_SCHEDULER_IN_PROCESS", "yes please", "'yes please' is not a yes or no"),
    ("SESSION_COOKIE_SECURE", "2", "use true or false (or 1 or 0)"),
    ("SMTP_SECURITY", "ssl", "'ssl' is not one of none, starttls, tls"),
    ("LOG_LEVEL", "LOUD", "'LOUD' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("SQLITE_SYNCHRONOUS", "FAST", "'FAST' is not one of OFF, NORMAL, FULL, EXTRA"),
    ("SESSION_COOKIE_SAMESITE", "sometimes", "'sometimes' is not one of Lax, Strict, None"),
    ("TIME_ZONE", "Mars/Olympus", "'Mars/Olympus' is not a time zone; use a name such as"),
    # Addresses and places.
    ("PUBLIC_URL", "canvass.example.gov", "an address such as https://canvass.example.gov"),
    ("PUBLIC_URL", "https://", "names no host"),
    ("PUBLIC_URL", "https://canvass.example.gov/?x=1", "a query or a fragment"),
    ("DATABASE_URL", "mysql://db/canvass", "use sqlite:///<path of a file> or postgresql+psycopg"),
    ("DATABASE_URL", "sqlite://", "needs the path of a file"),
    ("MAIL_FROM", "registry", "'registry' is not an email address"),
    ("MAP_TILE_URL", "https://tiles.example/{z}/{x}.png", "needs {z}, {x} and {y}"),
    ("MAP_TILE_URL", "ftp://tiles.example/{z}/{x}/{y}.png", "an address such as https://"),
    ("GEOCODER", "googel", "'googel' is not a geocoder geopy knows"),
    ("GEOCODER_OPTIONS", "[1]", "must be a JSON object"),
    ("CHECKPOINT_ORIGIN", "my log", "cannot hold spaces or '+'"),
    # The service area must be one simple polygon.
    (
        "SERVICE_AREA",
        json.dumps(BOW_TIE),
        "the boundary crosses itself near longitude -122.42500, latitude 37.77500",
    ),
    ("SERVICE_AREA", '{"type": "Point", "coordinates": [0, 0]}', "a GeoJSON Polygon"),
    ("SERVICE_AREA", "Detroit", "is not valid JSON"),
    (
        "SERVICE_AREA",
        json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 95], [1, 0], [0, 0]]]}),
        "corner 2 ([1, 95]) is not a longitude and latitude",
    ),
    (
        "SERVICE_AREA",
        json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1]]]}),
        "the boundary must end where it starts",
    ),
    (
        "SERVICE_AREA",
        json.dumps({**SQUARE, "coordinates": [*SQUARE["coordinates"], SQUARE["coordinates"][0]]}),
        "give only its outer boundary",
    ),
    (
        "SERVICE_AREA",
        json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}),
        "crosses itself near longitude 1.00000, latitude 1.00000",
    ),
]


@pytest.mark.parametrize(("setting", "value", "said"), BAD_SETTINGS)
def test_a_bad_setting_stops_start_up_naming_it_and_what_a_right_one_looks_like(
    start, setting, value, said
):
    with pytest.raises(ConfigurationError) as stopped:
        start({f"CANVASS_{setting}": value})

    message = str(stopped.value)
    assert message.startswith(f"CANVASS_{setting}: "), message
    assert said in message


def test_a_setting_passed_in_code_is_checked_as_strictly(tmp_path, monkeypatch):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match="CANVASS_SMTP_PORT: '25a' is not a whole"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SMTP_PORT": "25a"})


@pytest.mark.parametrize(
    ("setting", "path_is", "said"),
    [
        ("FOOTAGE_DIR", "a file", "is a file, not a folder"),
        ("SECRET_KEY_FILE", "a folder", "is a folder, not a file"),
        ("CHECKPOINT_KEY_FILE", "a folder", "is a folder, not a file"),
    ],
)
def test_a_path_of_the_wrong_kind_stops_start_up(start, tmp_path, setting, path_is, said):
    taken = tmp_path / "taken"
    taken.mkdir() if path_is == "a folder" else taken.write_text("")

    with pytest.raises(ConfigurationError, match=f"CANVASS_{setting}: .*{said}"):
        start({f"CANVASS_{setting}": str(taken)})


@pytest.mark.parametrize(
    ("setting", "content", "said"),
    [
        ("CHECKPOINT_KEY_FILE", b"not a key", "does not hold a PEM private key"),
        ("VAULT_MASTER_KEY_FILE", b"too short", "the vault's master key must be 32 bytes"),
    ],
)
def test_a_key_file_that_holds_no_usable_key_stops_start_up(
    start, tmp_path, setting, content, said
):
    key_file = tmp_path / "key"
    key_file.write_bytes(content)

    with pytest.raises(ConfigurationError, match=f"^CANVASS_{setting}: .*{said}"):
        start({f"CANVASS_{setting}": str(key_file)})


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "does not exist; name a .pmtiles file"),
        (b"<html>Not found</html>", "is not a PMTiles archive"),
        (b"PMTiles\x02" + bytes(119), "is not a PMTiles version 3 archive"),
        (b"PMTiles\x03", "is not a PMTiles version 3 archive"),
    ],
)
def test_a_basemap_that_is_not_a_pmtiles_archive_stops_start_up(start, tmp_path, content, said):
    archive = tmp_path / "city.pmtiles"
    if content is not None:
        archive.write_bytes(content)

    with pytest.raises(ConfigurationError, match=f"^CANVASS_MAP_BASEMAP: '{archive}' {said}"):
        start({"CANVASS_MAP_BASEMAP": str(archive)})


def test_the_citys_basemap_is_taken_as_named(start, shared_data):
    archive = str(shared_data / "sf_basemap_protomaps_z0-14.pmtiles")
    assert start({"CANVASS_MAP_BASEMAP": archive}).config["MAP_BASEMAP"] == archive


def test_options_the_named_geocoder_does_not_take_stop_start_up(start):
    with pytest.raises(ConfigurationError, match=r"^CANVASS_GEOCODER_OPTIONS: .*'colour'"):
        start(
            {
                "CANVASS_GEOCODER": "nominatim",
                "CANVASS_GEOCODER_USER_AGENT": "city-camera-registry",
                "CANVASS_GEOCODER_OPTIONS": '{"colour": "red"}',
            }
        )


def test_a_secret_that_is_wrong_is_never_repeated_in_the_message(start):
    with pytest.raises(ConfigurationError) as stopped:
        start({"CANVASS_SMTP_PASSWORD": "hunter2\nsecond line"})
    assert str(stopped.value).startswith("CANVASS_SMTP_PASSWORD: ")
    assert "hunter2" not in str(stopped.value)


def test_an_unknown_setting_close_to_a_known_one_stops_start_up_as_a_typo(start):
    with pytest.raises(ConfigurationError) as stopped:
        start({"CANVASS_AGENCY_POLICY": policies(max_area_sq_mi=0.3)})
    assert str(stopped.value) == (
        "CANVASS_AGENCY_POLICY is not a setting; did you mean CANVASS_AGENCY_POLICIES?"
    )


def test_an_unknown_setting_is_reported_in_the_log_without_its_value(start, caplog):
    caplog.set_level(logging.WARNING)
    start({"CANVASS_FAVOURITE_COLOUR": "teal"})
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("CANVASS_FAVOURITE_COLOUR is not a setting" in line for line in warned)
    assert not any("teal" in line for line in warned)


def test_switches_and_numbers_read_from_the_environment_as_an_operator_writes_them(start):
    app = start(
        {
            "CANVASS_SESSION_COOKIE_SECURE": "true",
            "CANVASS_SESSION_COOKIE_HTTPONLY": "1",
            "CANVASS_RUN_SCHEDULER_IN_PROCESS": "0",
            "CANVASS_SMTP_PORT": "587",
            "CANVASS_SMTP_SECURITY": "STARTTLS",
            "CANVASS_TIME_ZONE": "America/Detroit",
            "CANVASS_SERVICE_AREA": json.dumps(SQUARE),
            "CANVASS_MAP_TILE_ATTRIBUTION": "2024",
            "CANVASS_FOOTAGE_DIR": "",
            "CANVASS_PUBLIC_URL": "https://canvass.city.example/",
        }
    )
    config = app.config
    assert config["SESSION_COOKIE_SECURE"] is True and config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["RUN_SCHEDULER_IN_PROCESS"] is False
    assert config["SMTP_PORT"] == 587 and config["SMTP_SECURITY"] == "starttls"
    assert config["SERVICE_AREA"] == SQUARE
    assert config["MAP_TILE_ATTRIBUTION"] == "2024"
    assert config["FOOTAGE_DIR"] is None  # empty means unset: the default folder
    assert config["PUBLIC_URL"] == "https://canvass.city.example"  # links add their own "/"


def test_an_agency_policy_that_is_right_is_the_one_its_canvasses_are_checked_against(start):
    app = start(
        {
            "CANVASS_AGENCY_POLICIES": policies(
                max_area_sq_mi=0.3,
                max_window_minutes=360,
                case_number_pattern="SF-\\d{6}",
                case_number_example="SF-123456",
                deadline_days=45,
            )
        }
    )
    policy_for = app.extensions["canvass"].canvass._policy_for
    sfpd, other = policy_for("SFPD"), policy_for("Oakland PD")
    assert sfpd.max_area_sq_mi == 0.3 and sfpd.max_window == timedelta(hours=6)
    assert sfpd.case_number_example == "SF-123456" and sfpd.deadline == timedelta(days=45)
    assert other.max_area_sq_mi == 0.5 and other.case_number_example == "2026-004512"


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "flask", "--app", "wsgi", "events", "verify"],
        ["-m", "waitress", "--port", "0", "wsgi:app"],
    ],
    ids=["flask", "waitress"],
)
def test_the_command_line_and_the_web_server_print_the_message_and_no_traceback(tmp_path, command):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CANVASS_INSTANCE_PATH": str(tmp_path),
        "CANVASS_AGENCY_POLICIES": policies(max_area_sq_mi=-1),
    }
    run = subprocess.run(
        [sys.executable, *command], cwd=REPOSITORY, env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        "The service cannot start: CANVASS_AGENCY_POLICIES: agency 'SFPD': max_area_sq_mi "
        "must be more than 0 (square miles), e.g. 0.3."
    ]
