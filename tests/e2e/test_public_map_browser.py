"""The public map in a real browser, for someone who cannot see or use a map: every square drawn
is also a row of a table with the same figures, and the page says how many there are."""

from __future__ import annotations

from tests.e2e.test_basemap_browser import page  # noqa: F401
from tests.e2e.test_owner_browser import ARTIFACTS, pytestmark  # noqa: F401
from tests.support.live_server import serving


def test_every_square_of_the_public_map_is_also_a_row_of_its_table(
    app,
    client,
    cli,
    shared_data,
    page,  # noqa: F811
):
    cli.invoke(
        args=[
            "registry",
            "import",
            str(shared_data / "baltimore_cctv_locations.csv"),
            "--format",
            "baltimore-citiwatch",
        ]
    )
    blocks = client.get("/api/v1/public/coverage").get_json()["blocks"]
    assert len(blocks) >= 5
    with serving(app) as base_url:
        page.goto(f"{base_url}/map")
        page.locator("#coverage.ready").wait_for()
        status = page.get_by_role("status").filter(has_text="squares are shown")
        assert status.inner_text().startswith(f"{len(blocks)} squares are shown this month")
        table = page.get_by_role(
            "table", name="The squares on the map, with the same rough figures"
        )
        rows = table.locator("tbody tr")
        assert rows.count() == len(blocks)
        shown = sorted(
            (int(rows.nth(i).locator("td").nth(2).inner_text()),
             int(rows.nth(i).locator("td").nth(3).inner_text()))
            for i in range(rows.count())
        )  # fmt: skip
        assert shown == sorted((block["owners"], block["cameras"]) for block in blocks)
        first = rows.nth(0).locator("td").nth(1).inner_text()
        assert first.endswith("° W") and "° N" in first  # Baltimore: north and west
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "public-map-table.png"), full_page=True)
