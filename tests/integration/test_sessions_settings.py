"""The session, use-notice and token settings stop start-up when wrong, saying what is right."""

from __future__ import annotations

import pytest

from service import create_app
from service.configuration import ConfigurationError


def start(tmp_path, monkeypatch, **settings):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    for name, value in settings.items():
        monkeypatch.setenv(f"CANVASS_{name}", value)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'canvass.db'}"})
    app.extensions["canvass"].close()
    return app


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("SESSION_IDLE_MINUTES", "0", "0 is out of range; use a whole number from 1 to 1440."),
        ("SESSION_IDLE_MINUTES", "half an hour", "'half an hour' is not a whole number"),
        ("SESSION_MAX_HOURS", "1000", "1000 is out of range; use a whole number from 1 to 720."),
        ("API_TOKEN_DAYS", "-1", "-1 is out of range"),
        ("API_TOKEN_MAX_DAYS", "forever", "'forever' is not a whole number"),
        ("LOGIN_BANNER", "For staff\nonly", "it must be one line, with no control characters."),
        ("LOGIN_BANNER", "   ", "it is empty; write the notice, or leave the setting unset."),
        ("LOGIN_BANNER", "x" * 2001, "it has 2001 characters; keep it to 2000."),
        ("MFA_REQUIRED_FOR", "nobody", "'nobody' is not one of staff, everyone."),
    ],
)
def test_a_wrong_session_or_token_setting_stops_start_up_naming_it(
    tmp_path, monkeypatch, setting, value, said
):
    with pytest.raises(ConfigurationError) as stopped:
        start(tmp_path, monkeypatch, **{setting: value})
    assert str(stopped.value).startswith(f"CANVASS_{setting}: {said}")


def test_a_default_token_life_longer_than_the_longest_allowed_stops_start_up(tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError) as stopped:
        start(tmp_path, monkeypatch, API_TOKEN_DAYS="400", API_TOKEN_MAX_DAYS="365")
    assert "CANVASS_API_TOKEN_DAYS (400) is longer than CANVASS_API_TOKEN_MAX_DAYS (365)" in str(
        stopped.value
    )


def test_the_settings_as_an_operator_writes_them_are_the_ones_used(tmp_path, monkeypatch):
    app = start(
        tmp_path,
        monkeypatch,
        SESSION_IDLE_MINUTES="15",
        SESSION_MAX_HOURS="8",
        API_TOKEN_DAYS="30",
        LOGIN_BANNER="  Authorized use only; activity is logged.  ",
    )
    assert app.config["SESSION_IDLE_MINUTES"] == 15
    assert app.config["SESSION_MAX_HOURS"] == 8
    assert app.config["API_TOKEN_DAYS"] == 30
    assert app.config["API_TOKEN_MAX_DAYS"] == 365
    assert app.config["LOGIN_BANNER"] == "Authorized use only; activity is logged."
    assert app.config["MFA_REQUIRED_FOR"] == "staff"
    assert (
        start(tmp_path, monkeypatch, MFA_REQUIRED_FOR="Everyone").config["MFA_REQUIRED_FOR"]
        == "everyone"
    )
