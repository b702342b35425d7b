"""Auditors are shown what is worth a second look, with the rule that raised it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.e2e.test_canvass_api import PACIFIC, canvass_body, staff
from tests.e2e.test_canvass_requests import (  # noqa: F401
    AT,
    INCIDENT,
    neighbourhood,
    open_and_dispatch,
)
from tests.e2e.test_footage_intake import upload
from tests.e2e.test_owner_journey_api import link_token
from tests.unit.test_footage_store import mp4

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PLACE = type("P", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]})


def test_each_rule_raises_its_flag_for_the_auditor_of_the_agency(
    app,
    client,
    cli,
    mailbox,
    monkeypatch,
    neighbourhood,  # noqa: F811
):
    app.config["TIME_ZONE"] = "America/Los_Angeles"
    _, detective = neighbourhood
    supervisor = staff(cli, client, mailbox, "supervisor", "SFPD", "sgt.kim@sfpd.example")
    auditor = staff(cli, client, mailbox, "auditor", "SFPD", "aud.ray@sfpd.example")
    outsider = staff(cli, client, mailbox, "auditor", "OPD", "aud.kay@opd.example")

    first, _ = open_and_dispatch(client, detective)
    [request] = [m for m in mailbox.to("ana@example.org") if m["Subject"].startswith("A request")]
    upload(client, link_token(request), mp4(b"\x06" * 500))
    sha = client.get(f"{first}/footage", headers=detective).get_json()["files"][0]["sha256"]

    # Someone not on the case takes the file: flagged.
    client.get(f"{first}/footage/{sha}", headers=supervisor).close()
    # A wider canvass approved beyond the limits: flagged, and a second request to each owner.
    wide = canvass_body(PLACE, AT, "property_crime", 700, {"case_number": "181-004600"})
    opened = client.post("/api/v1/canvasses", headers=detective, json=wide).get_json()
    second = f"/api/v1/canvasses/{opened['canvass_id']}"
    client.post(f"{second}/submit", headers=detective)
    reason = {"reason": "The suspect fled through the park towards the freeway on-ramp."}
    assert client.post(f"{second}/approve", headers=supervisor, json=reason).status_code == 200
    client.post(f"{second}/dispatch", headers=detective)
    # A third canvass asks the same owners again within the month: each owner flagged once.
    open_and_dispatch(client, detective, case_number="181-004700")
    # Two drafts more around the same place, never submitted: five overlapping canvasses
    # within a week, flagged once as probing.
    for number in ("181-004701", "181-004702"):
        draft = canvass_body(PLACE, AT, "property_crime", 200, {"case_number": number})
        assert client.post("/api/v1/canvasses", headers=detective, json=draft).status_code == 201
    # The first canvass ends; its investigator then takes the file at night, ten times.
    cancelled = {"reason": "Suspect arrested; no more footage needed."}
    assert client.post(f"{first}/cancel", headers=detective, json=cancelled).status_code == 200
    night = (datetime.now(PACIFIC) + timedelta(days=1)).replace(hour=23, minute=15)
    monkeypatch.setattr(app.extensions["canvass"].store._recorder, "_clock", lambda: night)
    for _ in range(10):
        client.get(f"{first}/footage/{sha}", headers=detective).close()

    found = client.get("/api/v1/audit/anomalies", headers=auditor).get_json()
    rules = Counter(flag["rule"] for flag in found["flags"])
    assert rules == {
        "not_on_case": 1,
        "override": 1,
        "owner_targeted": 3,
        "outside_active_canvass": 10,
        "after_hours_bulk": 1,
        "repeated_probing": 1,
    }
    assert set(found["rules"]) == set(rules)
    [override] = [flag for flag in found["flags"] if flag["rule"] == "override"]
    assert override["case_number"] == "181-004600"
    assert client.get("/api/v1/audit/anomalies", headers=outsider).get_json()["flags"] == []
    assert client.get("/api/v1/audit/anomalies", headers=detective).status_code == 403

    from tests.e2e.test_canvass_pages import logged_in

    browser, _ = logged_in(app, "aud.ray@sfpd.example")
    page = browser.get("/audit").get_data(as_text=True)
    assert "Worth a second look (17)" in page and "owner targeted" in page
