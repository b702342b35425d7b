"""Door-to-door visits are sealed (for the visited owner, or for the canvass with its own
retention); a case package names owners by a pseudonym of that canvass only; an upload for
an erased owner stores nothing; files nothing refers to are swept from the footage folder."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from service.scheduler import JOBS
from tests.e2e.test_canvass_requests import (  # noqa: F401
    AT,
    neighbourhood,
    open_and_dispatch,
)
from tests.e2e.test_footage_intake import upload
from tests.e2e.test_owner_journey_api import PASSWORD, link_token
from tests.unit.test_footage_store import mp4

AT_THE_DOOR = {
    "latitude": 37.761745,
    "longitude": -122.424113,
    "address": "2417 Bartlett Alley",
    "result": "camera_present",
    "retention_days": 7,
    "contact_made": True,
    "note": "The tenant in the back flat has a doorbell camera",
}
ELSEWHERE = AT_THE_DOOR | {
    "latitude": 37.762391,
    "longitude": -122.423577,
    "address": "88 Quintara Court",
    "note": "Nobody home; try the side gate",
}
SECRETS = ("37.76174", "-122.42411", "Bartlett", "doorbell", "37.76239", "Quintara", "side gate")


def who(client, headers) -> str:
    return client.get("/api/v1/me", headers=headers).get_json()["user_id"]


def request_link(mailbox, name, number=0) -> str:
    asked = [m for m in mailbox.to(f"{name}@example.org") if m["Subject"].startswith("A request")]
    return link_token(asked[number])


def erase(client, owner_headers) -> None:
    erased = client.post("/api/v1/me/erasure", headers=owner_headers, json={"password": PASSWORD})
    assert erased.status_code == 200, erased.get_json()


def footage_folder(app) -> list[str]:
    """The footage folder as `ls -R` shows it: every entry, files and folders."""
    root = app.extensions["canvass"].footage.files.root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_a_visits_place_address_and_note_are_sealed_and_erased_with_whoever_they_belong_to(
    app,
    client,
    neighbourhood,  # noqa: F811
):
    owners, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    ana_bearer, ana_site = owners["ana"]
    at_ana = client.post(
        f"{path}/visits", headers=detective, json=AT_THE_DOOR | {"site_id": ana_site}
    )
    assert at_ana.status_code == 201, at_ana.get_json()
    other = client.post(f"{path}/visits", headers=detective, json=ELSEWHERE)
    assert other.status_code == 201
    # the investigator's own log opens them
    shown = client.get(f"{path}/visits", headers=detective).get_json()["visits"]
    assert [(v["address"], v["site_id"]) for v in shown] == [
        ("2417 Bartlett Alley", ana_site),
        ("88 Quintara Court", None),
    ]
    assert shown[0]["latitude"] == pytest.approx(AT_THE_DOOR["latitude"])

    services = app.extensions["canvass"]
    stored = [e for e in services.store.read_all() if e.type == "VisitRecorded"]
    assert len(stored) == 2
    for event in stored:
        assert {"latitude", "longitude", "address", "note"}.isdisjoint(event.data)
        assert not [s for s in SECRETS if s in json.dumps(event.data)]
    ana = who(client, ana_bearer)
    assert stored[0].data["private"].split(".")[1] == ana  # sealed for the visited owner
    canvass_id = path.rsplit("/", 1)[1]
    assert stored[1].data["private"].split(".")[1] == f"visits-{canvass_id}"
    with services.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM canvass_visits"))]
    assert len(rows) == 2 and not {"latitude", "address", "note"} & set(rows[0])
    assert not [s for s in SECRETS if s in json.dumps(rows, default=str)]

    erase(client, ana_bearer)
    shown = client.get(f"{path}/visits", headers=detective).get_json()["visits"]
    assert [(v["address"], v["latitude"], v["note"]) for v in shown[:1]] == [(None, None, None)]
    assert shown[1]["address"] == "88 Quintara Court"  # not Ana's: kept until retention ends

    page_visits = client.get(f"{path}/export.geojson", headers=detective).get_json()["features"]
    assert [f["geometry"] is None for f in page_visits if f["properties"]["kind"] == "visit"] == [
        True,
        False,
    ]

    # The canvass ends; once the retention is over, its own visits are forgotten too.
    call_off = client.post(f"{path}/cancel", headers=detective, json={"reason": "Arrest made."})
    assert call_off.status_code == 200
    keep = timedelta(days=90)
    now = datetime.now(UTC)  # the log's time, which the canvass's end is recorded in
    later = now + keep + timedelta(days=1)
    assert services.canvass.forget_ended_visits(now, keep) == 0  # not yet
    assert services.canvass.forget_ended_visits(later, keep) == 1
    assert services.canvass.forget_ended_visits(later, keep) == 0  # once is enough
    shown = client.get(f"{path}/visits", headers=detective).get_json()["visits"]
    assert [v["address"] for v in shown] == [None, None]
    assert "forget-ended-visits" in [name for name, _, _ in JOBS]


def test_a_visit_can_name_only_a_candidate_site_of_its_canvass(
    app,
    client,
    neighbourhood,  # noqa: F811
):
    _, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    head = app.extensions["canvass"].store.head()
    for site_id in ("not-a-site", "0" * 36):
        refused = client.post(
            f"{path}/visits", headers=detective, json=AT_THE_DOOR | {"site_id": site_id}
        )
        assert refused.status_code == 422
        assert refused.get_json()["errors"]["site_id"] == [
            "Choose one of this canvass's candidate sites."
        ]
    assert app.extensions["canvass"].store.head() == head


def test_two_case_packages_do_not_share_an_identifier_for_the_same_owner(
    app,
    client,
    mailbox,
    neighbourhood,  # noqa: F811
):
    owners, detective = neighbourhood
    first, _ = open_and_dispatch(client, detective, case_number="181-004512")
    second, _ = open_and_dispatch(client, detective, case_number="181-009999")
    clip = mp4(b"\x07" * 700)
    assert upload(client, request_link(mailbox, "ana", 0), clip).status_code == 201
    assert upload(client, request_link(mailbox, "ana", 1), clip).status_code == 201
    ana = who(client, owners["ana"][0])

    named = []
    for path in (first, second):
        package = client.get(f"{path}/package", headers=detective)
        assert package.status_code == 200
        with zipfile.ZipFile(io.BytesIO(package.get_data())) as zipped:
            manifest = json.loads(zipped.read("manifest.json"))
            custody = json.loads(zipped.read("custody.json"))
            text = zipped.read("manifest.json") + zipped.read("custody.json")
        package.close()
        assert ana.encode() not in text
        owners_named = {item["owner"] for item in manifest["files"]}
        owners_named |= {item["owner_id"] for item in custody if "owner_id" in item}
        assert len(owners_named) == 1  # one owner, one name, throughout the package
        [name] = owners_named
        assert name.startswith("owner-") and len(name) == len("owner-") + 8
        named.append(name)
    assert named[0] != named[1]


def test_an_upload_for_an_erased_owner_stores_nothing_not_even_a_temporary_file(
    app,
    client,
    mailbox,
    neighbourhood,  # noqa: F811
):
    owners, detective = neighbourhood
    open_and_dispatch(client, detective)
    token = request_link(mailbox, "ben")
    assert upload(client, request_link(mailbox, "ana"), mp4(b"\x01" * 300)).status_code == 201
    before = footage_folder(app)
    erase(client, owners["ben"][0])
    refused = upload(client, token, mp4(b"\x02" * 4000))
    assert refused.status_code == 410
    assert "erased" in refused.get_json()["message"]
    assert "subject" not in refused.get_json()["message"]
    assert footage_folder(app) == before


def test_the_sweep_removes_every_file_no_record_refers_to_and_keeps_the_others(
    app,
    client,
    mailbox,
    neighbourhood,  # noqa: F811
):
    _, detective = neighbourhood
    open_and_dispatch(client, detective)
    kept = upload(client, request_link(mailbox, "ana"), mp4(b"\x03" * 300)).get_json()["sha256"]
    desk = app.extensions["canvass"].footage
    root = desk.files.root
    orphan = "ab" + "c" * 62
    (root / "ab").mkdir(exist_ok=True)
    (root / "ab" / orphan).write_bytes(b"a clip nobody recorded receiving")
    (root / ".upload-interrupted").write_bytes(b"half an upload")
    assert footage_folder(app) == sorted(
        [".upload-interrupted", "ab", f"ab/{orphan}", kept[:2], f"{kept[:2]}/{kept}"]
    )

    assert desk.sweep_orphans(timedelta(hours=1)) == 0  # too recent: may be an upload under way
    assert desk.sweep_orphans(timedelta(0)) == 2
    assert footage_folder(app) == sorted([kept[:2], f"{kept[:2]}/{kept}"])
    assert desk.sweep_orphans(timedelta(0)) == 0
    assert "sweep-orphan-footage" in [name for name, _, _ in JOBS]
