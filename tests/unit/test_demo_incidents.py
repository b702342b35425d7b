"""The demo city's incidents as people read them, replayed on the same weekday and hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.demo_city import replayed, street_names, weeks_to_replay

SAN_FRANCISCO = ZoneInfo("America/Los_Angeles")
REPORTED = datetime(2018, 12, 4, 17, 15, tzinfo=SAN_FRANCISCO)  # a Tuesday, Pacific Standard Time
IN_SUMMER = datetime(2018, 7, 3, 17, 15, tzinfo=SAN_FRANCISCO)  # a Tuesday, daylight saving time


@pytest.mark.parametrize(
    ("intersection", "written"),
    [
        ("GOUGH ST \\ FELL ST", "Gough St and Fell St"),
        (
            "04TH ST \\ ELLIS ST \\ MARKET ST \\ STOCKTON ST",
            "4th St, Ellis St, Market St and Stockton St",
        ),
        ("03RD ST \\ FOLSOM ST", "3rd St and Folsom St"),
        ("JACK LONDON ALY \\ SOUTH PARK", "Jack London Aly and South Park"),
        ("MARKET ST", "Market St"),
    ],
)
def test_an_intersection_reads_as_people_write_it(intersection, written):
    assert street_names(intersection) == written


@pytest.mark.parametrize(
    ("reported", "now"),
    [
        (REPORTED, datetime(2026, 12, 2, 7, 0, tzinfo=UTC)),  # both in standard time
        (REPORTED, datetime(2027, 7, 14, 0, 30, tzinfo=UTC)),  # replayed into summer time
        (REPORTED, REPORTED.astimezone(UTC) + timedelta(weeks=400, minutes=1)),
        # Reported in summer, replayed in winter, when 17:15 on the wall clock is an hour
        # later than 400 weeks after: at 16:45 that day the incident has not happened yet.
        (IN_SUMMER, IN_SUMMER.astimezone(UTC) + timedelta(weeks=400, minutes=30)),
    ],
)
def test_a_replayed_incident_keeps_its_weekday_and_hour_and_lies_in_the_week_before_now(
    reported, now
):
    weeks = weeks_to_replay(reported, now)
    again = replayed(reported, weeks)

    assert again <= now
    assert now - again < timedelta(weeks=1, hours=1)
    assert again.astimezone(SAN_FRANCISCO).strftime("%A %H:%M") == "Tuesday 17:15"


def test_an_incident_not_yet_a_week_old_is_not_moved():
    assert weeks_to_replay(REPORTED, REPORTED.astimezone(UTC) + timedelta(days=3)) == 0
