"""Hash rule v2 is reproducible outside Python: Node.js and the npm `canonicalize` package
(RFC 8785) recompute every leaf hash of an exported demo log, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events_store import ANY, NewEvent
from tests.e2e.test_canvass_api import canvass_body, staff
from tests.e2e.test_owner_journey_api import link_token, sign_up_and_verify
from tests.integration.test_registry_import import import_file

NODE_PROJECT = Path(__file__).resolve().parents[1] / "js"
DOWNTOWN_DETROIT = (42.3314, -83.0458)

# Values where a careless encoder and RFC 8785 part ways: exponents, whole doubles, -0,
# the largest exact integer, escapes, and names outside the Basic Multilingual Plane.
AWKWARD = {
    "numbers": [1e-7, 0.00001, 90.0, -0.0, 1e21, 1e300, 5e-324, 123456789.125, 2**53 - 1],
    "text": 'Café «Zoë» 日本 \u2028 \t "quoted" \\ back \u007f \U0001f600',
    "\ufb33": "after the emoji in UTF-16 order",
    "\U0001f600": "before U+FB33 in UTF-16 order",
    "nested": {"z": None, "a": [True, False, {}, []]},
}


def node_leaf_hashes(export: Path) -> dict[int, str]:
    """Each position's leaf hash as `tests/js/leaf_hashes.mjs` recomputes it."""
    node = shutil.which("node")
    if node is None or not (NODE_PROJECT / "node_modules" / "canonicalize").is_dir():
        pytest.fail("Node.js 20 and `npm ci --prefix tests/js` are needed for this check")
    printed = subprocess.run(
        [node, str(NODE_PROJECT / "leaf_hashes.mjs"), str(export)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    return {
        int(position): leaf for position, leaf in (line.split() for line in printed.splitlines())
    }


def export_log(client, auditor, path: Path) -> dict[int, str]:
    """Every event of `/api/v1/audit/events` into one JSON Lines file; the stored leaf hashes."""
    stored, after = {}, 0
    with path.open("w", encoding="utf-8") as file:
        while lines := client.get(
            f"/api/v1/audit/events?after={after}&limit=1000", headers=auditor
        ).get_data(as_text=True):
            file.write(lines)
            # Only "\n" ends an exported line: U+2028 inside a string is text.
            for line in lines.rstrip("\n").split("\n"):
                position, leaf = line_position_and_leaf(line)
                stored[position] = leaf
                after = position
    return stored


def line_position_and_leaf(line: str) -> tuple[int, str]:
    event = json.loads(line)
    return event["position"], event["leaf_hash"]


def build_demo_log(app, client, cli, mailbox, shared_data) -> None:
    """What `scripts/start` imports, then an owner, a canvass around their camera, its
    dispatch and the owner's answer, and one event of awkward values."""
    import_file(
        cli, shared_data / "detroit_project_green_light_locations.csv", "detroit-green-light"
    )
    import_file(cli, shared_data / "baltimore_cctv_locations.csv", "baltimore-citiwatch")

    owner = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox, "ana@example.org")}
    site = client.post(
        "/api/v1/sites",
        headers=owner,
        json={
            "label": "Corner shop — «Zoë's»",
            "latitude": DOWNTOWN_DETROIT[0],
            "longitude": DOWNTOWN_DETROIT[1],
            "cameras": [
                {
                    "label": "Door",
                    "bearing_degrees": 187.5,
                    "field_of_view_degrees": 90.0,
                    "range_metres": 30.0,
                    "retention_days": 14,
                }
            ],
        },
    )
    assert site.status_code == 201, site.get_json()

    detective = staff(cli, client, mailbox, "investigator", "DPD", "det.ray@dpd.example")
    place = type("P", (), {"latitude": DOWNTOWN_DETROIT[0], "longitude": DOWNTOWN_DETROIT[1]})
    at = datetime.now(UTC) - timedelta(hours=3)
    opened = client.post(
        "/api/v1/canvasses", headers=detective, json=canvass_body(place, at, "property_crime", 150)
    )
    assert opened.status_code == 201, opened.get_json()
    path = f"/api/v1/canvasses/{opened.get_json()['canvass_id']}"
    assert client.post(f"{path}/submit", headers=detective).status_code == 200
    assert client.post(f"{path}/dispatch", headers=detective).status_code == 200
    app.extensions["canvass"].outbox.send_pending()
    [request] = [m for m in mailbox.to("ana@example.org") if m["Subject"].startswith("A request")]
    answer = {"token": link_token(request), "answer": "no_footage", "note": "Überschrieben 😀"}
    assert client.post("/api/v1/requests/answer", json=answer).status_code == 200

    app.extensions["canvass"].store.append("awkward-values", [NewEvent("Noted", AWKWARD)], ANY)


def test_node_recomputes_every_leaf_hash_of_the_exported_demo_log(
    app, client, cli, mailbox, shared_data, tmp_path
):
    build_demo_log(app, client, cli, mailbox, shared_data)
    auditor = staff(cli, client, mailbox, "auditor", "DPD", "aud.kim@dpd.example")

    stored = export_log(client, auditor, tmp_path / "events.jsonl")
    recomputed = node_leaf_hashes(tmp_path / "events.jsonl")

    head = app.extensions["canvass"].store.head()
    assert head > 1000
    assert sorted(stored) == list(range(1, head + 1))
    assert recomputed == stored


def test_node_finds_the_event_whose_stored_content_no_longer_matches_its_hash(
    app, client, cli, mailbox, tmp_path
):
    auditor = staff(cli, client, mailbox, "auditor", "DPD", "aud.kim@dpd.example")
    app.extensions["canvass"].store.append("awkward-values", [NewEvent("Noted", AWKWARD)], ANY)
    export = tmp_path / "events.jsonl"
    stored = export_log(client, auditor, export)
    position = max(stored)
    export.write_text(
        export.read_text(encoding="utf-8").replace("123456789.125", "123456789.25"),
        encoding="utf-8",
    )

    recomputed = node_leaf_hashes(export)

    assert [p for p in stored if recomputed[p] != stored[p]] == [position]
