"""The canvass journey in a real browser, on the journey's real data (a December 2018 San
Francisco incident among the OpenStreetMap camera nodes around it, each registered by an owner
of its own): a detective draws the area on the map and sends the requests, owners answer and
upload from their phones, the detective follows the answers on the map and downloads the case
package. Screenshots of the maps go to test-artifacts/."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import threading
import urllib.request
import zipfile
from datetime import timedelta

import pytest
from waitress.server import create_server

from tests.e2e.test_audit_log import VERIFY
from tests.e2e.test_canvass_api import staff
from tests.e2e.test_canvass_journey import busy_incident, camera_for
from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.e2e.test_owner_journey_api import sign_up_and_verify
from tests.smtp import free_port
from tests.support.sign_in import type_code
from tests.unit.test_footage_store import mp4

DETECTIVE = "det.lee@sfpd.example"
AUDITOR = "aud.ray@sfpd.example"


def requests_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


@pytest.fixture
def live_server(app, client, cli, mailbox, shared_data):
    """The owners of the camera nodes around the incident, a detective, and the service on the
    loopback in Pacific time, a day after the incident."""
    incident, at, category, nodes = busy_incident(shared_data)
    for number, node in enumerate(nodes):
        bearer = {
            "Authorization": "Bearer "
            + sign_up_and_verify(client, mailbox, f"owner{number}@example.org")
        }
        site = {
            "label": node.label or "Shop",
            "latitude": node.latitude,
            "longitude": node.longitude,
            "cameras": [camera_for(node, number)],
        }
        assert client.post("/api/v1/sites", headers=bearer, json=site).status_code == 201
    staff(cli, client, mailbox, "investigator", "SFPD", DETECTIVE)
    auditor = staff(cli, client, mailbox, "auditor", "SFPD", AUDITOR)
    app.config["TIME_ZONE"] = "America/Los_Angeles"
    services = app.extensions["canvass"]
    services.canvass.clock = lambda: at + timedelta(days=1)
    port = free_port()
    services.accounts.public_url = f"http://127.0.0.1:{port}"
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", incident, at, category, auditor
    server.close()
    thread.join(timeout=10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def test_a_canvass_from_the_map_to_the_case_package_in_a_browser(
    app, live_server, browser, mailbox, tmp_path
):
    live_server, incident, at, category, auditor = live_server
    # An auditor saved the log's checkpoint and key before the canvass began.
    checkpoint = tmp_path / "saved.checkpoint"
    checkpoint.write_bytes(requests_get(f"{live_server}/api/v1/audit/checkpoint"))
    public_key = tmp_path / "city.key"
    public_key.write_bytes(requests_get(f"{live_server}/api/v1/audit/public-key"))
    ARTIFACTS.mkdir(exist_ok=True)
    desk = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = desk.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address").fill(DETECTIVE)
    page.get_by_label("Password").fill("a staff passphrase")
    page.get_by_role("button", name="Log in").click()
    type_code(page, app, DETECTIVE)
    page.get_by_role("heading", name="Canvasses").wait_for()

    # The form: the incident by its coordinates, the area drawn corner by corner on the map.
    page.get_by_role("link", name="Open a canvass").click()
    page.get_by_label("Case number").fill("181-004512")
    page.get_by_label("What happened").select_option(category)
    page.get_by_label("Latitude").fill(f"{incident[0]:.6f}")
    page.get_by_label("Longitude").fill(f"{incident[1]:.6f}")
    page.get_by_label("From", exact=True).fill(f"{at - timedelta(minutes=15):%Y-%m-%dT%H:%M}")
    page.get_by_label("Until", exact=True).fill(f"{at + timedelta(minutes=15):%Y-%m-%dT%H:%M}")
    feedback = page.locator("#policy-feedback")
    feedback.get_by_text("Within your agency's limits").wait_for()

    page.get_by_label("Radius in metres").fill("700")
    feedback.get_by_text("Beyond your agency's limits: a supervisor must approve it.").wait_for()
    assert "above the maximum of 0.5" in feedback.inner_text()

    page.get_by_label("An area I draw on the map").check()
    page.get_by_text("Clicking the map adds a corner of the area (0 so far).").wait_for()
    page.locator("#canvass-map").scroll_into_view_if_needed()
    box = page.locator("#canvass-map").bounding_box()
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-130, -130), (130, -130), (130, 130), (-130, 130)):
        page.mouse.click(middle_x + dx, middle_y + dy)
    page.get_by_text("(4 so far)").wait_for()
    assert len(json.loads(page.locator("#polygon").input_value())) == 4
    feedback.get_by_text("Within your agency's limits").wait_for()
    square_miles = float(re.search(r"is ([\d.]+) square miles", feedback.inner_text()).group(1))
    assert 0.025 < square_miles < 0.5

    page.get_by_label("Why footage from this area may help").fill(
        "The suspect left on foot; cameras on the likely routes may show which way."
    )
    page.get_by_label("The owner's consent").check()
    page.screenshot(path=str(ARTIFACTS / "investigator-canvass-form.png"), full_page=True)
    page.get_by_role("button", name="Open and submit the canvass").click()

    # The canvass page: the cameras in the drawn area, ranked, none asked yet; then the
    # requests go out, one to each camera's owner.
    page.get_by_role("heading", name=re.compile("Case 181-004512")).wait_for()
    page.locator("#canvass-map.ready").wait_for()
    rows = page.locator("tr.candidate")
    count = rows.count()
    assert count >= 3
    assert all("expires in" in text and "Not asked yet" in text for text in rows.all_inner_texts())
    assert page.locator("#canvass-map path.leaflet-interactive").count() >= count + 1  # views, area
    page.get_by_role("button", name=re.compile("Send the requests")).click()
    page.get_by_text(f"Requests made to {count} owners;").wait_for()

    # Owners answer from the emailed link on their phones: one uploads a clip, one has none.
    app.extensions["canvass"].outbox.send_pending()  # the scheduler's job, done now
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    clip = mp4(b"\x05" * 40_000)
    asked = sorted({m["To"] for m in mailbox.messages if m["Subject"].startswith("A request")})
    assert len(asked) == count
    answers = ("I have footage and will upload it", "did not record")
    for email, choice in zip(asked[:2], answers, strict=True):
        owner = phone.new_page()
        [request] = [m for m in mailbox.to(email) if m["Subject"].startswith("A request")]
        owner.goto(re.search(r"https?://\S+", request.get_content()).group(0))
        owner.get_by_role("heading", name="Can your cameras help?").wait_for()
        owner.get_by_label(re.compile(choice)).check()
        owner.get_by_role("button", name="Send my answer").click()
        if choice.startswith("I have footage"):
            owner.get_by_role("heading", name="Upload your footage").wait_for()
            owner.set_input_files(
                "#footage", files=[{"name": "clip.mp4", "mimeType": "video/mp4", "buffer": clip}]
            )
            owner.get_by_label(re.compile("clock is off")).fill("-90")
            owner.get_by_label("How you exported it (optional)").fill(
                "Exported from the recorder's app, front door camera, 21:00 to 21:30."
            )
            owner.get_by_role("button", name="Upload").click()
            owner.get_by_role("heading", name="Thank you: your footage is received").wait_for()
            assert hashlib.sha256(clip).hexdigest() in owner.content()
            owner.screenshot(path=str(ARTIFACTS / "owner-upload-received.png"), full_page=True)
        else:
            owner.get_by_text("Thank you: your answer is recorded.").wait_for()
    phone.close()

    # The detective follows the answers on the map and takes the case package.
    page.reload()
    page.locator("#canvass-map.ready").wait_for()
    statuses = " ".join(rows.all_inner_texts())
    assert statuses.count("Offered footage") == 1
    assert statuses.count("No relevant footage") == 1
    assert statuses.count("No answer to show") == count - 2
    assert "1 offered footage" in page.locator("#answers").inner_text()
    assert "@example.org" not in page.content()
    page.locator("#canvass-map").screenshot(path=str(ARTIFACTS / "investigator-canvass-map.png"))
    page.screenshot(path=str(ARTIFACTS / "investigator-canvass-page.png"), full_page=True)

    # The owner's words on how they exported it reach the case, beside the file, and the
    # file downloads under the case number with its real extension.
    assert "front door camera, 21:00 to 21:30" in page.locator("tr.footage-file").inner_text()
    with page.expect_download() as single:
        page.locator("tr.footage-file a").click()
    name = single.value.suggested_filename
    assert name.startswith("case-181-004512-site-") and name.endswith(".mp4"), name

    # The printed report gives times in the service's zone, with its abbreviation.
    page.get_by_role("link", name="Printable report").click()
    report = page.locator("article.report").inner_text()
    assert "PST" in report and "UTC" not in report
    page.go_back()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the case package (zip)").click()
    saved = tmp_path / "package.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as package:
        manifest = json.loads(package.read("manifest.json"))
        [item] = manifest["files"]
        assert hashlib.sha256(package.read(item["file"])).hexdigest() == item["sha256"]
        assert item["sha256"] == hashlib.sha256(clip).hexdigest()
    desk.close()

    # The auditor finds the canvass, reads its timeline and accesses, exports the log as CSV,
    # and proves the log whole with the independent verifier.
    office = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    audit = office.new_page()
    audit.goto(f"{live_server}/login")
    audit.get_by_label("Email address").fill(AUDITOR)
    audit.get_by_label("Password").fill("a staff passphrase")
    audit.get_by_role("button", name="Log in").click()
    type_code(audit, app, AUDITOR)
    audit.get_by_role("heading", name="Access log of SFPD").wait_for()
    audit.get_by_label("Case number").fill("181-004512")
    audit.get_by_role("button", name="Search").click()
    # the file taken once, and each time the canvass page listed its candidates
    audit.get_by_text(re.compile(r"\d+ access(es)? found\.")).wait_for()
    with audit.expect_download() as exported:
        audit.get_by_role("link", name="Download CSV").click()
    table = tmp_path / "access.csv"
    exported.value.save_as(table)
    assert "181-004512" in table.read_text() and "exported" in table.read_text()
    audit.get_by_role("link", name="181-004512").first.click()
    audit.get_by_role("heading", name="Canvass timeline").wait_for()
    story = audit.locator("table.timeline").inner_text()
    assert "CanvassOpened" in story and "FootageReceived" in story and "FootageHandled" in story
    assert "@example.org" not in audit.content()
    audit.screenshot(path=str(ARTIFACTS / "auditor-canvass-timeline.png"), full_page=True)
    office.close()

    verdict = subprocess.run(
        [
            VERIFY,
            "--public-key",
            str(public_key),
            "--checkpoint",
            str(checkpoint),
            "--url",
            live_server,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"CANVASS_TOKEN": auditor["Authorization"].split()[1], "PATH": "/usr/bin:/bin"},
    )
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert "VERIFIED: the log of" in verdict.stdout
