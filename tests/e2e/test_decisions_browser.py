"""A supervisor denies a canvass with a reason in a real browser using only the keyboard:
Tab to each control, type, and press Enter; a reason too short is refused beside the field,
which keeps what was typed and takes the focus back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.test_canvass_api import canvass_body, staff
from tests.e2e.test_canvass_requests import AT, INCIDENT
from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.support.live_server import serving
from tests.support.sign_in import next_code

SUPERVISOR = "sgt.kim@sfpd.example"
REASON = "The area takes in the whole district; draw it along the escape route instead."


def tab_to(page, target, presses: int = 60) -> None:
    """Press Tab until `target` has the focus, as a keyboard user moves through a page."""
    for _ in range(presses):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {target}")


@pytest.fixture
def waiting(app, client, cli, mailbox):
    """A canvass beyond the limits waiting for the SFPD's supervisor."""
    app.extensions["canvass"].canvass.clock = lambda: AT + timedelta(days=1)
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    staff(cli, client, mailbox, "supervisor", "SFPD", SUPERVISOR)
    place = type("P", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]})
    body = canvass_body(place, AT, "property_crime", 700, {"case_number": "181-004600"})
    canvass = client.post("/api/v1/canvasses", headers=detective, json=body).get_json()
    path = f"/api/v1/canvasses/{canvass['canvass_id']}"
    assert client.post(f"{path}/submit", headers=detective).get_json()["status"] == "submitted"
    return path, detective


def test_a_supervisor_denies_a_canvass_with_a_reason_using_only_the_keyboard(app, client, waiting):
    from playwright.sync_api import expect, sync_playwright

    path, detective = waiting
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(app) as base_url, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = chromium.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{base_url}/login")
        tab_to(page, page.get_by_label("Email address"))
        page.keyboard.type(SUPERVISOR)
        tab_to(page, page.get_by_label("Password"))
        page.keyboard.type("a staff passphrase")
        page.keyboard.press("Enter")
        tab_to(page, page.get_by_label("Code", exact=True))
        page.keyboard.type(next_code(app, SUPERVISOR))
        page.keyboard.press("Enter")
        approvals = page.get_by_role("link", name="Approvals")
        approvals.wait_for()
        tab_to(page, approvals)
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Waiting for your approval").wait_for()

        reason = page.get_by_label("Your reason")
        tab_to(page, reason)
        page.keyboard.type("Too wide")
        tab_to(page, page.get_by_role("button", name="Deny for good"))
        page.keyboard.press("Enter")

        error = page.get_by_role("alert")
        expect(error).to_contain_text("10 to 2000 characters")
        expect(reason).to_be_focused()  # back where the correction is made
        expect(reason).to_have_value("Too wide")
        expect(reason).to_have_attribute("aria-invalid", "true")
        page.keyboard.press("Control+A")
        page.keyboard.type(REASON)
        page.screenshot(path=str(ARTIFACTS / "supervisor-denies-by-keyboard.png"), full_page=True)
        tab_to(page, page.get_by_role("button", name="Deny for good"))
        page.keyboard.press("Enter")

        expect(page.get_by_role("status")).to_contain_text("Denied.")
        expect(page.get_by_text("Nothing is waiting for you.")).to_be_visible()
        chromium.close()

    view = client.get(path, headers=detective).get_json()
    assert view["status"] == "denied" and view["decision_reason"] == REASON
