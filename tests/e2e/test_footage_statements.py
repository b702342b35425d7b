"""An owner's statement of how they exported their footage reaches the detective only through
the access gateway: the reading is in the access log, with who, when and why, before the
page shows it; someone outside the case reads nothing and leaves no such record."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from canvass.errors import CanvassNotFound
from tests.e2e.test_canvass_api import staff
from tests.support.city import CANVASS, settle
from tests.unit.test_footage_store import mp4

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

STATEMENT = "Exported on the recorder's screen to a USB stick, as MP4."


@pytest.fixture
def case_with_a_statement(app, mailbox):
    """A dispatched canvass whose owner sent a clip with their statement."""
    residents = settle(app, mailbox)
    client = app.test_client()
    clip = mp4(b"\x05" * 3000)
    sent = client.put(
        "/api/v1/requests/footage",
        query_string={"token": residents.request_token, "statement": STATEMENT},
        data=clip,
        content_type="video/mp4",
    )
    assert sent.status_code == 201, sent.get_json()
    return residents, hashlib.sha256(clip).hexdigest()


def _accesses(client, auditor, action="viewed"):
    found = client.get(
        "/api/v1/audit/access", query_string={"case_number": CANVASS["case_number"]},
        headers=auditor,
    )  # fmt: skip
    assert found.status_code == 200, found.get_json()
    return [row for row in found.get_json()["accesses"] if row["action"] == action]


def test_the_statement_on_the_canvass_page_is_in_the_access_log_with_who_when_and_why(
    app, case_with_a_statement
):
    residents, digest = case_with_a_statement
    detective = app.test_client()
    detective.set_cookie("session", residents.sessions["investigator"])
    before = datetime.now(UTC)

    page = detective.get(f"/canvasses/{residents.canvasses[0]}").get_data(as_text=True)

    assert STATEMENT.replace("'", "&#39;") in page
    [read] = _accesses(app.test_client(), residents.auditor)
    investigator = app.extensions["canvass"].accounts.user_id_for("investigator@sfpd.example")
    assert (read["actor"], read["role"], read["agency"]) == (investigator, "investigator", "SFPD")
    assert before <= datetime.fromisoformat(read["recorded_at"]) <= datetime.now(UTC)
    assert read["purpose"] == "canvass for property crime"
    assert read["legal_basis"] == CANVASS["legal_basis"]
    assert read["released"] == f"footage {digest}"
    owner = app.test_client().get("/api/v1/audit/my-accesses", headers=residents.owner).get_json()
    assert any(row["action"] == "viewed" for row in owner["accesses"])


def test_the_gateway_records_each_reading_and_refuses_anyone_outside_the_case(
    app, mailbox, case_with_a_statement
):
    residents, _ = case_with_a_statement
    services = app.extensions["canvass"]
    accounts, gateway = services.accounts, services.gateway
    investigator = accounts.user(accounts.user_id_for("investigator@sfpd.example"))
    client = app.test_client()
    staff(app.test_cli_runner(), client, mailbox, "investigator", "OPD", "det@opd.example")
    outsider = accounts.user(accounts.user_id_for("det@opd.example"))
    canvass_id = residents.canvasses[0]

    with pytest.raises(CanvassNotFound):
        gateway.footage_statements(outsider, canvass_id, services.store, services.vault)
    assert _accesses(client, residents.auditor) == []

    for reading in (1, 2):
        opened = gateway.footage_statements(
            investigator, canvass_id, services.store, services.vault
        )
        assert list(opened.values()) == [STATEMENT]
        assert len(_accesses(client, residents.auditor)) == reading
