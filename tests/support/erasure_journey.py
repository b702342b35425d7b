"""An owner with distinctive values taken through a whole canvass, for the erasure tests:
registered with a site and a camera, asked by a dispatched canvass, answering with a note,
uploading footage with a statement, and visited at their door by a detective. And the
service those tests run: mail written as `.eml` files (the development transport), logs at
DEBUG, and a way to make a folder refuse deletions, as a real fault would.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from geographiclib.geodesic import Geodesic

from tests.e2e.test_canvass_api import staff
from tests.e2e.test_footage_intake import upload
from tests.e2e.test_owner_journey_api import link_token, sign_up_and_verify
from tests.unit.test_footage_store import mp4

INCIDENT = (37.7614, -122.4241)
AT = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


@dataclass(frozen=True)
class Owner:
    """An owner whose every value is distinctive, and new for each test: no value can be
    found by chance, nor left over by an earlier run in a database or WAL shared by tests."""

    email: str
    name: str
    surname: str
    address: str
    street: str
    site_label: str
    camera_label: str
    answer_note: str
    statement: str
    visit_note: str
    latitude: float
    longitude: float

    def texts(self) -> dict[str, str]:
        """Every personal text value, by what it is."""
        return {
            "email": self.email,
            "email's local part": self.email.split("@")[0],
            "name": self.name,
            "surname": self.surname,
            "street address": self.address,
            "street name": self.street,
            "site label": self.site_label,
            "camera label": self.camera_label,
            "answer note": self.answer_note,
            "upload statement": self.statement,
            "visit note": self.visit_note,
        }


def distinctive_owner() -> Owner:
    """A new owner, living some 70 m from the incident, at a place of their own."""
    token = secrets.token_hex(4)
    surname, street = f"Vandersloot{token}", f"Quillfeather{token[::-1]}"
    place = Geodesic.WGS84.Direct(
        *INCIDENT, 30 + secrets.randbelow(10_000) / 1000, 70 + secrets.randbelow(10_000) / 2000
    )
    return Owner(
        email=f"ottilie.{surname.lower()}@example.org",
        name=f"Ottilie {surname}-Ngata",
        surname=surname,
        address=f"8723 {street} Lane",
        street=street,
        site_label=f"{surname} Bakery Annex",
        camera_label=f"Kestrel{token} alley camera",
        answer_note=f"Gate code is {token}, ask for the baker",
        statement=f"Exported from the Zimmerlinde{token} recorder",
        visit_note=f"Spoke with the baker at the back door, recorder {token} in the pantry",
        latitude=place["lat2"],
        longitude=place["lon2"],
    )


def file_mail_service(database_url: str, instance: Path, monkeypatch: pytest.MonkeyPatch):
    """The service on `database_url`, writing mail as `.eml` files under `instance/outbox`,
    logging at DEBUG."""
    from service import create_app

    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(instance))
    return create_app({"DATABASE_URL": database_url, "TESTING": True, "LOG_LEVEL": "DEBUG"})


def whole_canvass(app, mailbox, person: Owner) -> tuple[dict, dict, str]:
    """The owner registers, a canvass asks them, they answer and upload, a detective visits
    their door; returns the owner's and the auditor's credentials and the clip's hash."""
    client, cli, services = app.test_client(), app.test_cli_runner(), app.extensions["canvass"]
    owner = {
        "Authorization": "Bearer " + sign_up_and_verify(client, mailbox, person.email, person.name)
    }
    site = client.post(
        "/api/v1/sites",
        headers=owner,
        json={
            "label": person.site_label,
            "address": person.address,
            "latitude": person.latitude,
            "longitude": person.longitude,
            "kind": "business",
            "contact_for_requests": True,
            "categories": ["all"],
            "share_exact_location": False,
            "cameras": [
                {
                    "label": person.camera_label,
                    "bearing_degrees": 200,
                    "field_of_view_degrees": 90,
                    "range_metres": 150,
                    "retention_days": 14,
                }
            ],
        },
    )
    assert site.status_code == 201, site.get_json()
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.okoro@sfpd.example")
    auditor = staff(cli, client, mailbox, "auditor", "SFPD", "aud.reyes@sfpd.example")
    opened = client.post(
        "/api/v1/canvasses",
        headers=detective,
        json={
            "case_number": "181-004512",
            "category": "property_crime",
            "incident": {"latitude": INCIDENT[0], "longitude": INCIDENT[1]},
            "window_start": (AT - timedelta(minutes=30)).isoformat(),
            "window_end": (AT + timedelta(minutes=30)).isoformat(),
            "area": {"radius_m": 250},
            "justification": "Looking for the suspect's route away from the scene.",
            "legal_basis": "owner_consent",
        },
    )
    assert opened.status_code == 201, opened.get_json()
    path = f"/api/v1/canvasses/{opened.get_json()['canvass_id']}"
    assert client.post(f"{path}/submit", headers=detective).status_code == 200
    dispatched = client.post(f"{path}/dispatch", headers=detective)
    assert dispatched.get_json()["requests"] == {"requested": 1}, dispatched.get_json()
    services.outbox.send_pending()
    [request] = [m for m in mailbox.to(person.email) if m["Subject"].startswith("A request")]
    token = link_token(request)
    answer = {"token": token, "answer": "share_now", "note": person.answer_note}
    assert client.post("/api/v1/requests/answer", json=answer).status_code == 200
    clip = mp4(b"\x5a" * 3000)
    assert upload(client, token, clip, statement=person.statement).status_code == 201
    [candidate] = client.get(f"{path}/candidates", headers=detective).get_json()["ranked"]
    visit = {
        "site_id": candidate["site_id"],
        "latitude": person.latitude,
        "longitude": person.longitude,
        "address": person.address,
        "result": "camera_present",
        "retention_days": 14,
        "contact_made": True,
        "note": person.visit_note,
    }
    recorded = client.post(f"{path}/visits", headers=detective, json=visit)
    assert recorded.status_code == 201, recorded.get_json()
    taken = client.get(f"{path}/footage/{hashlib.sha256(clip).hexdigest()}", headers=detective)
    assert taken.status_code == 200
    taken.close()
    services.outbox.send_pending()
    return owner, auditor, hashlib.sha256(clip).hexdigest()


@contextmanager
def refusing_deletions(folder: Path) -> Iterator[None]:
    """While the block runs, nothing in `folder` can be deleted: the folder is immutable
    (`chattr +i`) for root, who ignores permissions, and read-only for anyone else."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
        if made.returncode != 0:
            pytest.skip(f"this file system cannot make {folder} immutable: {made.stderr!r}")
        undo = ["chattr", "-i", str(folder)]
    else:
        folder.chmod(0o500)
        undo = ["chmod", "700", str(folder)]
    try:
        yield
    finally:
        subprocess.run(undo, check=True)
