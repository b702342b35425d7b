"""An owner answers a request from the emailed link on a phone, in a real browser: the page
says who asks, about what, when and which of their cameras, and the link, opened again,
leads to the upload page, to what was sent, to the answer given, or says the canvass ended."""

from __future__ import annotations

import hashlib
import re

from geographiclib.geodesic import Geodesic

from tests.e2e.test_canvass_api import PACIFIC
from tests.e2e.test_canvass_lifecycle import cancel
from tests.e2e.test_canvass_requests import (
    INCIDENT,
    neighbourhood,  # noqa: F401 (a fixture)
    open_and_dispatch,
)
from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.support import accessibility
from tests.support.live_server import serving
from tests.unit.test_footage_store import mp4


def second_site(client, bearer):
    """A shop 60 m east of the incident, its camera looking west at it."""
    spot = Geodesic.WGS84.Direct(INCIDENT[0], INCIDENT[1], 90, 60)
    body = {
        "label": "Corner shop",
        "latitude": spot["lat2"],
        "longitude": spot["lon2"],
        "cameras": [
            {
                "label": "Side gate",
                "bearing_degrees": 270,
                "field_of_view_degrees": 90,
                "range_metres": 150,
                "retention_days": 14,
            }
        ],
    }
    created = client.post("/api/v1/sites", headers=bearer, json=body)
    assert created.status_code == 201
    return created.get_json()["site_id"]


def emailed_link(mailbox, email):
    [message] = [m for m in mailbox.to(email) if m["Subject"].startswith("A request")]
    return re.search(r"https?://\S+", message.get_content()).group(0)


def test_an_owner_sees_what_is_asked_and_every_state_of_the_emailed_link_on_a_phone(
    app,
    client,
    mailbox,
    neighbourhood,  # noqa: F811
):
    owners, detective = neighbourhood
    ana_bearer, home = owners["ana"]
    shop = second_site(client, ana_bearer)
    app.config["TIME_ZONE"] = "America/Los_Angeles"
    app.extensions["canvass"].canvass.dispatcher.zone = PACIFIC
    clip = mp4(b"\x07" * 30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    from playwright.sync_api import sync_playwright

    with serving(app), sync_playwright() as playwright:
        path, _ = open_and_dispatch(client, detective)  # its emails link to the served app
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        phone = browser.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        ana_link = emailed_link(mailbox, "ana@example.org")

        # The page says who asks, about what, when (Pacific time) and which cameras.
        page.goto(ana_link)
        about = page.locator(".request-about")
        about.wait_for()
        text = about.inner_text()
        assert "SFPD, case 181-004512" in text
        assert "property crime" in text.lower()
        assert "Friday 14 December 2018, 21:10 to 22:10 PST" in text
        assert "Porch (Home)" in text and "Side gate (Corner shop)" in text
        page.screenshot(path=str(ARTIFACTS / "owner-request-context-phone.png"), full_page=True)

        # She will upload: the link, opened again before she has, leads to the upload page.
        page.get_by_label(re.compile("will upload it")).check()
        page.get_by_role("button", name="Send my answer").click()
        page.get_by_role("heading", name="Upload your footage").wait_for()
        page.goto(ana_link)
        page.get_by_role("heading", name="Upload your footage").wait_for()
        assert "/requests/upload" in page.url and "answered this request already" not in (
            page.content()
        )
        page.set_input_files(
            "#footage", files=[{"name": "clip.mp4", "mimeType": "video/mp4", "buffer": clip}]
        )
        page.get_by_role("button", name="Upload").click()
        page.get_by_role("heading", name="Thank you: your footage is received").wait_for()

        # After the upload, the link shows what she sent.
        page.goto(ana_link)
        sent = page.locator(".files-sent")
        sent.wait_for()
        assert hashlib.sha256(clip).hexdigest() in sent.inner_text()
        assert "MP4 file of" in sent.inner_text()
        page.screenshot(path=str(ARTIFACTS / "owner-request-reopened-sent.png"), full_page=True)

        # Ben declines; opened again, his link shows that answer, with nothing to upload.
        page.goto(emailed_link(mailbox, "ben@example.org"))
        page.get_by_label(re.compile("prefer not to help")).check()
        page.get_by_role("button", name="Send my answer").click()
        page.get_by_text("Thank you: your answer is recorded.").wait_for()
        page.goto(emailed_link(mailbox, "ben@example.org"))
        page.get_by_text("You have answered this request already").wait_for()
        assert (
            "I prefer not to help with this request" in page.locator(".request-about").inner_text()
        )
        assert page.locator("input[type=file]").count() == 0
        if accessibility.AXE.exists():  # installed by scripts/test with npm
            findings, _ = accessibility.check(page, {"phone": (390, 844)})
            assert not findings, "\n".join(str(finding) for finding in findings)

        # The detectives see the offer on both of Ana's sites.
        summary = client.get(f"{path}/requests", headers=detective).get_json()
        assert summary["sites_offering_footage"] == sorted([home, shop])

        # Once the canvass is called off, the link says so plainly, and what she sent stays.
        cancel(client, path, detective)
        page.goto(ana_link)
        page.get_by_text(
            re.compile(r"The detectives called off this canvass on \d+ \w+ \d{4}\.")
        ).wait_for()
        assert "nothing more is needed from you" in page.content()
        assert hashlib.sha256(clip).hexdigest() in page.locator(".files-sent").inner_text()
        assert page.locator("input[type=file], input[name=answer]").count() == 0
        page.screenshot(path=str(ARTIFACTS / "owner-request-called-off.png"), full_page=True)
        phone.close()
        browser.close()
