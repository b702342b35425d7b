"""The public sees canvassing per agency and month in aggregate: small counts read "fewer than
5", the sizes of fewer than 5 canvasses are withheld, and nothing points at a case or a person."""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from audit.projection import event_counts
from tests.e2e.test_canvass_api import canvass_body, staff
from tests.e2e.test_canvass_requests import INCIDENT, PACIFIC, owner_with_camera
from tests.e2e.test_owner_journey_api import link_token
from tests.unit.test_footage_store import mp4

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

SQUARE_METRES_PER_SQUARE_MILE = 2_589_988.110336
FEW = "fewer than 5"
W = "withheld"
DECEMBER = datetime(2018, 12, 10, 21, 40, tzinfo=PACIFIC)
JANUARY = datetime(2019, 1, 15, 9, 0, tzinfo=PACIFIC)
# SFPD's December canvasses: radius in metres, window in hours; 700 m is beyond the limits.
DECEMBER_CANVASSES = [(150, 1), (200, 2), (250, 0.5), (300, 3), (700, 6)]
# What the owners answer to the 15 requests of December, in the order they were emailed.
DECEMBER_ANSWERS = ["will_bring"] * 6 + ["no_footage"] * 3 + ["share_now"] + [None] * 5
OWNERS = ("ana", "ben", "cy")


def square_miles(radius_m: float) -> float:
    return math.pi * radius_m**2 / SQUARE_METRES_PER_SQUARE_MILE


def set_time(app, monkeypatch, moment: datetime) -> None:
    """Move the canvass rules' clock and the log's clock together: the figures are dated by
    when the log recorded each event, so a test in another month moves the log too."""
    services = app.extensions["canvass"]
    services.canvass.clock = lambda: moment
    monkeypatch.setattr(services.store._recorder, "_clock", lambda: moment)


def canvass(client, detective, incident_at, radius_m, hours, case_number, supervisor=None):
    """Open and submit a canvass (a supervisor approves it if it is beyond the limits)."""
    half = timedelta(hours=hours / 2)
    body = canvass_body(
        type("P", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]}),
        incident_at,
        "property_crime",
        radius_m,
        {
            "case_number": case_number,
            "window_start": (incident_at - half).isoformat(),
            "window_end": (incident_at + half).isoformat(),
        },
    )
    opened = client.post("/api/v1/canvasses", headers=detective, json=body)
    assert opened.status_code == 201, opened.get_json()
    path = f"/api/v1/canvasses/{opened.get_json()['canvass_id']}"
    status = client.post(f"{path}/submit", headers=detective).get_json()["status"]
    if status == "submitted":
        reason = {"reason": "Armed robbery; the suspect's route away is unknown."}
        approved = client.post(f"{path}/approve", headers=supervisor, json=reason)
        status = approved.get_json()["status"]
    assert status == "approved"
    return path


def footage_requests(mailbox) -> list[str]:
    """The answer links of every footage request emailed so far, owner by owner."""
    return [
        link_token(m)
        for name in OWNERS
        for m in mailbox.to(f"{name}@example.org")
        if m["Subject"] == "A request for camera footage near you"
    ]


@pytest.fixture
def city(app, client, cli, mailbox, monkeypatch):
    """Three owners near one corner; SFPD canvasses in December 2018 and January 2019,
    Oakland PD in January 2019; owners answer December's requests; erasures in the log."""
    owners = {n: owner_with_camera(client, mailbox, f"{n}@example.org", m)
              for n, m in zip(OWNERS, (40, 90, 130), strict=True)}  # fmt: skip
    sfpd = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    sergeant = staff(cli, client, mailbox, "supervisor", "SFPD", "sgt.ray@sfpd.example")
    oakland = staff(cli, client, mailbox, "investigator", "Oakland PD", "det.kim@oakland.example")
    app.extensions["canvass"].canvass.dispatcher.weekly_cap = 100

    set_time(app, monkeypatch, DECEMBER + timedelta(days=1))
    for n, (radius, hours) in enumerate(DECEMBER_CANVASSES):
        path = canvass(client, sfpd, DECEMBER, radius, hours, f"181-00{n:04d}", sergeant)
        assert client.post(f"{path}/dispatch", headers=sfpd).get_json()["requests"] == {
            "requested": 3
        }
    assert cli.invoke(args=["outbox", "send"]).exit_code == 0  # the mail job, run now
    links = footage_requests(mailbox)
    assert len(links) == len(DECEMBER_ANSWERS)
    for token, answer in zip(links, DECEMBER_ANSWERS, strict=True):
        if answer:
            sent = client.post("/api/v1/requests/answer", json={"token": token, "answer": answer})
            assert sent.status_code == 200
    clip = mp4(b"\x01" * 20_000)
    shared = links[DECEMBER_ANSWERS.index("share_now")]
    uploaded = client.put(
        "/api/v1/requests/footage",
        query_string={"token": shared, "sha256": hashlib.sha256(clip).hexdigest()},
        data=clip,
        content_type="video/mp4",
    )
    assert uploaded.status_code == 201, uploaded.get_json()

    set_time(app, monkeypatch, JANUARY + timedelta(days=1))
    path = canvass(client, sfpd, JANUARY, 250, 1, "190-000001")
    assert client.post(f"{path}/dispatch", headers=sfpd).get_json()["requests"] == {"requested": 3}
    for n in range(2):
        canvass(client, oakland, JANUARY, 400, 4, f"OPD-19-{n:04d}")

    # Erasures are counted from the monthly event counts, as the erasure events would add up.
    with app.extensions["canvass"].engine.begin() as conn:
        conn.execute(
            event_counts.insert(),
            [{"month": m, "type": "AccountErased", "count": n}
             for m, n in (("2018-12", 7), ("2019-02", 3))],
        )  # fmt: skip
    return owners


def test_the_public_sees_each_agency_and_month_with_small_counts_suppressed(app, city):
    report = app.test_client().get("/api/v1/public/transparency")  # nobody logged in
    assert report.status_code == 200
    figures = report.get_json()
    by_group = {(g["agency"], g["month"]): g for g in figures["agency_months"]}
    assert list(by_group) == [("Oakland PD", "2019-01"), ("SFPD", "2019-01"), ("SFPD", "2018-12")]

    radii = sorted(r for r, _ in DECEMBER_CANVASSES)
    hours = sorted(h for _, h in DECEMBER_CANVASSES)
    assert by_group["SFPD", "2018-12"] == {
        "agency": "SFPD",
        "month": "2018-12",
        "canvasses_opened": 5,
        "area_square_miles": {
            "median": round(square_miles(radii[2]), 3),
            "maximum": round(square_miles(radii[-1]), 3),
        },
        "window_hours": {"median": hours[2], "maximum": hours[-1]},
        "overrides": FEW,
        "requests_sent": 15,
        # 1, 6, 3 and 5 add up to the 15 requests: with a small one among them, none is shown.
        "answers": dict.fromkeys(("share_now", "will_bring", "no_footage", "did_not_provide"), W),
        "footage_received": FEW,
    }
    withheld = {"median": None, "maximum": None}
    oakland = by_group["Oakland PD", "2019-01"]
    assert oakland["canvasses_opened"] == FEW
    assert oakland["area_square_miles"] == oakland["window_hours"] == withheld
    assert [oakland[k] for k in ("overrides", "requests_sent", "footage_received")] == [0, 0, 0]
    sfpd_january = by_group["SFPD", "2019-01"]
    assert sfpd_january["area_square_miles"] == sfpd_january["window_hours"] == withheld
    assert sfpd_january["requests_sent"] == FEW
    assert set(sfpd_january["answers"].values()) == {W}
    assert figures["city_months"] == [
        {"month": "2019-02", "owner_erasures": FEW},
        {"month": "2019-01", "owner_erasures": 0},
        {"month": "2018-12", "owner_erasures": 7},
    ]


def test_the_page_shows_the_same_figures_and_explains_the_rule_without_a_login(app, city):
    page = app.test_client().get("/transparency")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for shown in ("December 2018", "January 2019", "February 2019", "SFPD", "Oakland PD",
                  f"{round(square_miles(250), 3):g}", f"{round(square_miles(700), 3):g}",
                  "withheld", FEW, "What the figures mean", 'href="/transparency"'):  # fmt: skip
        assert shown in text, shown
    assert "<td>15</td>" in text and "<strong>7</strong>" in text
    assert "Did not provide footage" in text and "Declined" not in text
    assert 'href="/api/v1/public/transparency"' in text


def test_nothing_identifying_is_published(app, city):
    public = app.test_client()
    published = "".join(
        public.get(path).get_data(as_text=True)
        for path in ("/transparency", "/api/v1/public/transparency")
    )
    with app.extensions["canvass"].engine.connect() as conn:
        canvasses = conn.execute(sa.text("SELECT canvass_id, case_number FROM canvass_canvasses"))
        identifiers = [value for row in canvasses for value in row]
        identifiers += conn.scalars(sa.text("SELECT request_id FROM canvass_requests")).all()
    identifiers += [site_id for _, site_id in city.values()]
    identifiers += [f"{name}@example.org" for name in OWNERS] + ["det.lee@sfpd.example"]
    identifiers += [f"{INCIDENT[0]:.3f}", f"{INCIDENT[1]:.3f}"]
    assert len(identifiers) > 30
    assert [value for value in identifiers if value in published] == []


EVERY_GROUP = [("Oakland PD", "2019-01"), ("SFPD", "2019-01"), ("SFPD", "2018-12")]
# year asked for: (agency and month groups, city-wide months) published
BY_YEAR = {
    "2018": ([("SFPD", "2018-12")], ["2018-12"]),
    "2019": ([("Oakland PD", "2019-01"), ("SFPD", "2019-01")], ["2019-02", "2019-01"]),
    "2020": ([], []),
    "": (EVERY_GROUP, ["2019-02", "2019-01", "2018-12"]),  # "All years" on the page
}


def test_the_figures_can_be_narrowed_to_one_year(app, city):
    public = app.test_client()
    for year, (groups, months) in BY_YEAR.items():
        answer = public.get("/api/v1/public/transparency", query_string={"year": year})
        figures = answer.get_json()
        assert figures["year"] == (int(year) if year else None)
        assert [(g["agency"], g["month"]) for g in figures["agency_months"]] == groups, year
        assert [c["month"] for c in figures["city_months"]] == months, year
        page = public.get("/transparency", query_string={"year": year}).get_data(as_text=True)
        assert (f"No month of {year} is published yet" in page) == (not groups), year
        assert [y for y in ("2018", "2019") if f'<option value="{y}" selected>' in page] == (
            [year] if year in ("2018", "2019") else []
        )


@pytest.mark.parametrize("year", ["last", "18", "2018.5", "99999", "2018-12"])
def test_a_year_that_is_not_a_year_is_refused_clearly(client, year):
    answer = client.get("/api/v1/public/transparency", query_string={"year": year})
    assert answer.status_code == 422
    assert answer.get_json()["errors"]["year"] == ["Give a year as four digits, for example 2025."]
    page = client.get("/transparency", query_string={"year": year})
    assert page.status_code == 422
    assert "Give a year as four digits" in page.get_data(as_text=True)


def test_before_anything_happens_the_figures_are_empty_and_documented(client):
    assert client.get("/api/v1/public/transparency").get_json() == {
        "year": None,
        "threshold": 5,
        "agency_months": [],
        "city_months": [],
    }
    assert "No month is published yet" in client.get("/transparency").get_data(as_text=True)
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/public/transparency"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["year"]
    assert operation["security"] == []  # public: no token asked for
    assert "200" in operation["responses"] and "422" in operation["responses"]
