"""The quick start as people run it, on another port: every emailed link reaches the
service where it really listens, not port 8080."""

from __future__ import annotations

import csv
import email
import email.policy
import json
import math
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.demo import CANVASSES
from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS
from tests.smtp import free_port
from tests.support.sign_in import set_up_in_browser

REPOSITORY = Path(__file__).resolve().parents[2]
NEAR_AN_INCIDENT_M = 300
ADDRESS_ROWS = 300


def small_san_francisco(shared_data: Path, folder: Path) -> Path:
    """The demo files of the few streets around the demo's incidents: the same layouts, a
    few hundred rows, so that the quick start is ready in seconds."""
    folder.mkdir()
    for name in ("sf_boundary.geojson", "sf_basemap_protomaps_z0-14.pmtiles"):
        (folder / name).symlink_to(shared_data / name)
    numbers = {canvass.incident_number for canvass in CANVASSES}
    with (shared_data / "sf_police_incidents_2018-12.csv").open(newline="") as source:
        reader = csv.DictReader(source)
        rows = [row for row in reader if row["Incident Number"] in numbers]
        fields = reader.fieldnames or []
    with (folder / "sf_police_incidents_2018-12.csv").open("w", newline="") as target:
        writer = csv.DictWriter(target, fields)
        writer.writeheader()
        writer.writerows(rows)
    places = [(float(r["Latitude"]), float(r["Longitude"])) for r in rows if r["Latitude"]]
    nodes = json.loads((shared_data / "osm_surveillance_nodes_us_west.json").read_text())
    near = [
        n
        for n in nodes
        if min(_metres(n["lat"], n["lon"], *p) for p in places) < NEAR_AN_INCIDENT_M
    ]
    (folder / "osm_surveillance_nodes_us_west.json").write_text(json.dumps(near))
    with (shared_data / "sf_eas_addresses.csv").open() as source:
        head = [line for _, line in zip(range(ADDRESS_ROWS + 1), source, strict=False)]
    (folder / "sf_eas_addresses.csv").write_text("".join(head))
    return folder


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians(lat1))
    return 6_371_000 * math.hypot(x, math.radians(lat2 - lat1))


def wait_for_line(process: subprocess.Popen, text: str, seconds: float) -> list[str]:
    """The output lines up to the first that holds `text`."""
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            pytest.fail("the quick start stopped:\n" + "".join(seen[-40:]))
        seen.append(line)
        if text in line:
            return seen
    pytest.fail(f"the quick start did not say {text!r} in {seconds:.0f} s")


def answering(url: str, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(response.status)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # the server is binding its port


@dataclass(frozen=True)
class QuickStart:
    """The quick start, serving: where, what it printed, and its instance folder."""

    base_url: str
    output: list[str]
    instance: Path


@pytest.fixture(scope="module")
def quick_start(shared_data, tmp_path_factory) -> Iterator[QuickStart]:
    """scripts/start after its setup step, on a free port other than 8080, with the small
    San Francisco."""
    folder = tmp_path_factory.mktemp("quick-start")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANVASS_")}
    env |= {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DEMO_DATA": str(small_san_francisco(shared_data, folder / "data")),
        "CANVASS_INSTANCE_PATH": str(folder / "instance"),
        "CANVASS_DATABASE_URL": f"sqlite:///{folder / 'quick-start.db'}",
    }
    process = subprocess.Popen(
        [str(REPOSITORY / "scripts" / "_serve_demo.sh")],
        cwd=REPOSITORY,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output = wait_for_line(process, "Serving on", 120)
        base = f"http://127.0.0.1:{port}"
        assert answering(f"{base}/login", 30) == 200
        yield QuickStart(base, output, folder / "instance")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.slow
def test_emailed_links_point_at_the_port_the_quick_start_serves_on(quick_start):
    base = quick_start.base_url
    assert f"emailed links point at {base}" in quick_start.output[-1]
    assert any(f"sign in at {base}/login" in line for line in quick_start.output)

    requests = []
    for path in (quick_start.instance / "outbox").rglob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["Subject"] == "A request for camera footage near you":
            requests.append(message.get_content())
    assert requests, "the demo's canvass emailed no owner"
    links = [re.search(r"(http\S+/requests/answer\?token=\S+)", body) for body in requests]
    assert all(link and link.group(1).startswith(f"{base}/") for link in links)
    assert answering(links[0].group(1), 10) == 200  # the owner's link opens the answer page


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_the_detective_sees_the_demo_canvass_and_the_browser_asks_nothing_of_the_network(
    quick_start,
):
    from playwright.sync_api import sync_playwright

    base = quick_start.base_url
    printed = "".join(quick_start.output)
    password = re.search(r"detective@sfpd\.example\.org\s+password (\S+)", printed)
    assert password, "the quick start printed no password for the demo detective"
    asked: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        page.on("request", lambda request: asked.append(request.url))
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill("detective@sfpd.example.org")
        page.get_by_label("Password").fill(password.group(1))
        page.get_by_role("button", name=re.compile("log in|sign in", re.I)).click()
        set_up_in_browser(page)  # staff set up their second factor at the first login
        page.wait_for_url(f"{base}/canvasses")
        page.get_by_role("link", name=re.compile("180915634")).first.click()
        page.wait_for_load_state("networkidle")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "quick-start-demo-canvass.png"), full_page=True)
        text = page.inner_text("body")
        browser.close()
    assert "Case 180915634" in text
    assert "PST" in text or "PDT" in text  # the demo city's time, not UTC nor Detroit's
    made = re.search(r"(\d+) requests? made", text)
    assert made and int(made.group(1)) > 0, "the demo canvass shows no request sent"
    listed = re.search(r"Cameras that may have recorded it \((\d+)\)", text)
    assert listed and int(listed.group(1)) > 0
    elsewhere = [url for url in asked if not url.startswith(f"{base}/") and url != base]
    assert not elsewhere, f"the browser fetched from outside the machine: {elsewhere[:5]}"
