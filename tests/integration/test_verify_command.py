"""`flask events verify` proves an intact log and names the first altered position."""

from __future__ import annotations

import pytest

from events_store import ANY, NewEvent
from service.wiring import Services
from tests.databases import tamper


def fill_log(services: Services, count: int) -> None:
    for n in range(count):
        services.store.append(f"site-{n % 3}", [NewEvent("CameraRegistered", {"n": n})], ANY)


def test_an_intact_log_passes_and_the_count_is_printed(app, cli):
    fill_log(app.extensions["canvass"], 12)

    result = cli.invoke(args=["events", "verify"])

    assert result.exit_code == 0, result.output
    assert "Checked 12 events: every stored event matches its hash." in result.output


def test_an_empty_log_passes(cli):
    result = cli.invoke(args=["events", "verify"])
    assert result.exit_code == 0
    assert "Checked 0 events" in result.output


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("UPDATE events SET data = '{\"n\":700}' WHERE position = 7", "position 7: the stored"),
        ("UPDATE events SET type = 'CameraRemoved' WHERE position = 9", "position 9: the stored"),
        ('UPDATE events SET metadata = \'{"actor":"x"}\' WHERE position = 4', "position 4"),
        ("DELETE FROM events WHERE position = 5", "position 5: this position is missing"),
    ],
)
def test_a_row_altered_behind_the_triggers_back_is_named(app, cli, database_url, statement, named):
    fill_log(app.extensions["canvass"], 12)
    tamper(database_url, statement)

    result = cli.invoke(args=["events", "verify"])

    assert result.exit_code == 1
    assert f"Tampering found at {named}" in result.output
