"""Owners upload clips by their request link; investigators receive them with a custody
record and download a case package whose manifest verifies."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from tests.e2e.test_canvass_requests import neighbourhood, open_and_dispatch  # noqa: F401
from tests.e2e.test_owner_journey_api import link_token
from tests.unit.test_footage_store import box, mp4

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def request_links(client, mailbox, neighbourhood):  # noqa: F811
    owners, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    links = {}
    for name in owners:
        [message] = [
            m for m in mailbox.to(f"{name}@example.org") if m["Subject"].startswith("A request")
        ]
        links[name] = link_token(message)
    return path, detective, links


def upload(client, token, data, **query):
    return client.put(
        "/api/v1/requests/footage",
        query_string={"token": token, **query},
        data=data,
        content_type="video/mp4",
    )


def stored_files(app) -> list:
    root = app.extensions["canvass"].footage.files.root
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_clip_is_received_verified_downloaded_and_packaged_with_its_custody(
    app, client, request_links
):
    path, detective, links = request_links
    clip = mp4(b"\x01" * 20_000)
    digest = hashlib.sha256(clip).hexdigest()

    sent = upload(
        client,
        links["ana"],
        clip,
        sha256=digest,
        clock_offset_seconds=-90,
        statement="Exported from the recorder's app as MP4.",
    )
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json() == {"sha256": digest, "size": len(clip), "container": "mp4"}

    files = client.get(f"{path}/footage", headers=detective).get_json()["files"]
    assert [(f["sha256"], f["clock_offset_seconds"]) for f in files] == [(digest, -90)]
    downloaded = client.get(f"{path}/footage/{digest}", headers=detective)
    assert downloaded.data == clip
    # Saved, never shown in the browser, under a name that says what it is.
    assert downloaded.headers["Content-Type"] == "application/octet-stream"
    disposition = downloaded.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith(f'-{digest[:12]}.mp4"') or disposition.endswith(
        f"-{digest[:12]}.mp4"
    )
    downloaded.close()

    package = client.get(f"{path}/package", headers=detective)
    assert package.status_code == 200
    assert package.headers["Content-Disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(package.data)) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
        for item in manifest["files"]:
            assert hashlib.sha256(zipped.read(item["file"])).hexdigest() == item["sha256"]
        custody = json.loads(zipped.read("custody.json"))
    package.close()
    assert [(c["event"], c.get("action")) for c in custody] == [
        ("FootageReceived", None),
        ("FootageHandled", "downloaded"),
        ("FootageHandled", "exported"),
    ]
    assert "Exported from" not in json.dumps(custody)  # the owner's statement stays sealed
    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["counts"]["offered_footage"] == 1


@pytest.mark.parametrize(
    ("data", "query", "words"),
    [
        (b"", {}, "empty"),
        (b"just some text, not a video", {}, "not a video"),
        (mp4()[:-100], {}, "cut short"),
        (box(b"ftyp", b"isom\x00\x00\x02\x00") + box(b"mdat", b"\x00" * 50), {}, "cut short"),
        (mp4(), {"sha256": "a" * 64}, "does not match"),
        (b"x" * 3000, {}, "larger than"),
    ],
    ids=["empty", "text", "truncated", "no moov", "wrong hash", "oversized"],
)
def test_a_bad_upload_gets_a_clear_error_and_stores_nothing(
    app, client, request_links, data, query, words
):
    app.config["FOOTAGE_MAX_BYTES"] = 2500 if words == "larger than" else 10**9
    app.extensions["canvass"].footage.files.max_bytes = app.config["FOOTAGE_MAX_BYTES"]
    _, _, links = request_links
    head = app.extensions["canvass"].store.head()
    response = upload(client, links["ben"], data, **query)
    assert response.status_code in (413, 422)
    if response.status_code == 422:
        assert words in response.get_json()["message"]
    assert stored_files(app) == []
    assert app.extensions["canvass"].store.head() == head


def test_an_owner_who_declined_cannot_upload_and_a_forged_link_is_refused(client, request_links):
    _, _, links = request_links
    client.post("/api/v1/requests/answer", json={"token": links["cy"], "answer": "decline"})
    assert upload(client, links["cy"], mp4()).status_code == 409
    assert upload(client, "forged", mp4()).status_code == 400


def test_an_owner_answers_share_now_and_uploads_through_the_pages(app, client, request_links):
    from tests.e2e.test_owner_pages import csrf_of

    path, detective, links = request_links
    answer_page = client.get(f"/requests/answer?token={links['ben']}").get_data(as_text=True)
    answered = client.post(
        "/requests/answer",
        data={"csrf_token": csrf_of(answer_page), "token": links["ben"], "answer": "share_now"},
    )
    assert answered.status_code == 302 and "/requests/upload" in answered.headers["Location"]
    form = client.get(answered.headers["Location"]).get_data(as_text=True)
    assert "You can upload the footage now." in form

    def send(data, **fields):
        return client.post(
            "/requests/upload",
            data={"csrf_token": csrf_of(form), "token": links["ben"], **fields}
            | ({"footage": (io.BytesIO(data), "clip.mp4")} if data is not None else {}),
            content_type="multipart/form-data",
        )

    nothing = send(None)
    assert nothing.status_code == 422
    assert "Choose the video file to upload." in nothing.get_data(as_text=True)
    not_video = send(b"%PDF-1.7 a letter, not a video" * 10, clock_offset_seconds="-30")
    assert not_video.status_code == 422
    page = not_video.get_data(as_text=True)
    assert "not a video we recognise" in page and 'value="-30"' in page  # what was typed stays
    bad_offset = send(mp4(b"\x02" * 5000), clock_offset_seconds="a minute")
    assert bad_offset.status_code == 422 and "whole seconds" in bad_offset.get_data(as_text=True)
    assert stored_files(app) == []

    clip = mp4(b"\x02" * 5000)
    kept = send(clip, clock_offset_seconds="-30", statement="From the shop's DVR, camera 2.")
    assert kept.status_code == 200
    assert hashlib.sha256(clip).hexdigest() in kept.get_data(as_text=True)
    files = client.get(f"{path}/footage", headers=detective).get_json()["files"]
    assert [(f["size"], f["clock_offset_seconds"]) for f in files] == [(len(clip), -30)]


def test_an_owner_who_declined_cannot_upload_through_the_page(client, request_links):
    from tests.e2e.test_owner_pages import csrf_of

    _, _, links = request_links
    page = client.get(f"/requests/answer?token={links['cy']}").get_data(as_text=True)
    client.post(
        "/requests/answer",
        data={"csrf_token": csrf_of(page), "token": links["cy"], "answer": "decline"},
    )
    form = client.get(f"/requests/upload?token={links['cy']}")
    assert form.status_code == 409 and 'name="footage"' not in form.get_data(as_text=True)
    assert "would not share footage" in form.get_data(as_text=True)
    refused = client.post(
        "/requests/upload",
        data={
            "csrf_token": csrf_of(page),
            "token": links["cy"],
            "footage": (io.BytesIO(mp4(b"\x03" * 100)), "clip.mp4"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 409
    assert "would not share footage" in refused.get_data(as_text=True)


def test_footage_is_purged_once_its_canvass_has_ended_long_enough(app, client, request_links):
    from datetime import datetime, timedelta

    path, detective, links = request_links
    assert upload(client, links["ana"], mp4(b"\x08" * 700)).status_code == 201
    reason = {"reason": "Suspect identified from the first clip."}
    assert client.post(f"{path}/cancel", headers=detective, json=reason).status_code == 200
    ended = datetime.fromisoformat(client.get(path, headers=detective).get_json()["opened_at"])
    desk = app.extensions["canvass"].footage

    assert desk.purge_ended(ended + timedelta(days=89), timedelta(days=90)) == 0
    assert len(stored_files(app)) == 1
    assert desk.purge_ended(ended + timedelta(days=91), timedelta(days=90)) == 1
    assert stored_files(app) == []
    assert client.get(f"{path}/footage", headers=detective).get_json()["files"] == []
    [purged] = [
        e.data for e in app.extensions["canvass"].store.iter_all() if e.type == "FootageHandled"
    ]
    assert (purged["action"], purged["actor"]) == ("purged", "retention")
    assert purged["purpose"] == "kept 90 days after the canvass"
    assert desk.purge_ended(ended + timedelta(days=92), timedelta(days=90)) == 0


def test_the_same_clip_from_two_owners_is_in_both_owners_record_of_who_took_it(
    client,
    request_links,
    neighbourhood,  # noqa: F811
):
    """Two neighbours export the same shared camera's clip: a download of those bytes is a
    release of each one's footage, so each owner's own list shows it, not only the first's."""
    owners, _ = neighbourhood
    path, detective, links = request_links
    clip = mp4(b"\x02" * 20_000)
    digest = hashlib.sha256(clip).hexdigest()
    for name in ("ana", "ben"):
        assert upload(client, links[name], clip, sha256=digest).status_code == 201
    downloaded = client.get(f"{path}/footage/{digest}", headers=detective)
    assert downloaded.data == clip
    downloaded.close()

    for name in ("ana", "ben"):
        bearer, _ = owners[name]
        listed = client.get("/api/v1/audit/my-accesses", headers=bearer).get_json()["accesses"]
        actions = [access["action"] for access in listed]
        assert actions.count("downloaded") == 1, (name, listed)
