"""An owner's journey in a real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from waitress.server import create_server

from tests.e2e.test_owner_journey_api import EMAIL, PASSWORD
from tests.smtp import free_port
from tests.support.mail import deliver_mail

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed: scripts/test installs it with apt-get",
    ),
]


@pytest.fixture
def live_server(app, cli, shared_data):
    """The app served over HTTP on the loopback, its emails linking back to it."""
    result = cli.invoke(
        args=["geocoder", "import", str(shared_data / "openaddresses_monterey_county_ca.csv")]
    )
    assert result.exit_code == 0
    port = free_port()
    app.extensions["canvass"].accounts.public_url = f"http://127.0.0.1:{port}"
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()
    thread.join(timeout=10)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 420, "height": 900})  # a phone
        yield context.new_page()
        context.close()
        browser.close()


def test_an_owner_registers_and_manages_a_site_in_a_browser(app, live_server, page, mailbox):
    page.goto(f"{live_server}/signup")
    page.get_by_label("Your name").fill("Maria Lopez")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    deliver_mail(app)
    link = re.search(r"https?://\S+", mailbox.to(EMAIL)[0].get_content()).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm my email address").click()
    page.get_by_text("Your email address is confirmed").wait_for()
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="My sites").wait_for()

    page.get_by_role("link", name="Add a site").click()
    page.get_by_label("Name of the site").fill("Home")
    page.get_by_label("Street address").fill("1531 McKinnon St, Salinas")
    page.get_by_role("button", name="Register this site").click()
    page.get_by_text("Your site is registered").wait_for()

    for label, bearing, days in (("Front door", "180", "14"), ("Driveway", "270", "30")):
        page.get_by_label("Name", exact=True).fill(label)
        page.get_by_label("Which way does it look?").fill(bearing)
        page.get_by_label("How wide does it see?").fill("100")
        page.get_by_label("How far does it see?").fill("25")
        page.get_by_label("How many days does your recorder keep footage?").fill(days)
        page.get_by_role("button", name="Add camera").click()
        page.get_by_text(f"Camera “{label}” added.").wait_for()

    page.get_by_role("link", name="Edit name or place").click()
    page.get_by_label("Name of the site").fill("Our house")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("heading", name=re.compile("Our house")).wait_for()

    page.get_by_role("button", name="Pause requests").click()
    page.get_by_text("Paused: no requests will reach you").wait_for()
    page.get_by_role("button", name="Resume requests").click()
    page.get_by_text("Resumed").wait_for()

    page.get_by_role("link", name="My sites").click()
    page.locator("#map.ready").wait_for()
    assert page.locator("#map path.leaflet-interactive").count() == 3  # two views, one site
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "owner-dashboard-map.png"), full_page=True)

    page.get_by_role("link", name="Our house").click()
    page.get_by_role("link", name="Unregister…").click()
    page.get_by_role("button", name="Unregister the site").click()
    page.get_by_text("is unregistered and no longer appears in any search").wait_for()
    assert "You have not registered a site yet" in page.content()
