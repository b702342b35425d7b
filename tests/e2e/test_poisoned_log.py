"""A log poisoned on purpose stops only the read model that cannot apply it: the service
says so, refuses only what would pile up behind it, and is repaired by an upcaster and a
rebuild, as the README tells the operator."""

from __future__ import annotations

import uuid
from datetime import timedelta

from canvass.handlers import canvass_stream
from events_store import ANY, NewEvent
from tests.e2e.test_canvass_api import staff
from tests.e2e.test_canvass_pages import logged_in
from tests.e2e.test_canvass_requests import AT, open_and_dispatch, owner_with_camera
from tests.e2e.test_owner_pages import csrf_of

VISIT = {"latitude": 37.7618, "longitude": -122.4238, "result": "camera_present"}


def poison_with_a_visit_without_result(store, canvass_id: str) -> int:
    """Append, past every check of the commands, a copy of the canvass's visit that has lost
    its result: the canvass read model cannot store a visit without one."""
    stream = canvass_stream(canvass_id)
    [visit] = [e for e in store.read_stream(stream) if e.type == "VisitRecorded"]
    data = {k: v for k, v in visit.data.items() if k not in ("result", "private")}
    data["visit_id"] = str(uuid.uuid4())
    [poison] = store.append(stream, [NewEvent("VisitRecorded", data, visit.metadata)], ANY)
    return poison.position


def visit_results(client, path, detective) -> list[str]:
    visits = client.get(f"{path}/visits", headers=detective).get_json()["visits"]
    return [visit["result"] for visit in visits]


def test_a_poisoned_log_stops_only_the_canvass_records_until_an_upcaster_and_a_rebuild(
    app, client, cli, mailbox
):
    services = app.extensions["canvass"]
    owner_with_camera(client, mailbox, "ana@example.org", 40)
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    services.canvass.clock = lambda: AT + timedelta(days=1)
    path, _ = open_and_dispatch(client, detective)
    canvass_id = path.rsplit("/", 1)[-1]
    assert client.post(f"{path}/visits", headers=detective, json=VISIT).status_code == 201
    poisoned_at = poison_with_a_visit_without_result(services.store, canvass_id)

    # The next visit is kept in the log, but its answer says it cannot be shown yet.
    met = client.post(f"{path}/visits", headers=detective, json=VISIT)
    assert met.status_code == 503 and "Your change was recorded" in met.get_json()["message"]

    ready = client.get("/readyz")
    assert ready.status_code == 503
    [stopped] = ready.get_json()["stopped_projections"]
    assert (stopped["name"], stopped["position"], stopped["event_type"]) == (
        "canvass",
        poisoned_at,
        "VisitRecorded",
    )
    assert f"canvass stopped at position {poisoned_at - 1}" in ready.get_json()["projections"]
    assert "projections rebuild canvass" in ready.get_json()["projections"]
    status = cli.invoke(args=["projections", "status"]).output
    assert f"could not apply event {poisoned_at} (VisitRecorded): IntegrityError" in status

    # Commands that need the canvass records are refused before they append anything.
    head = services.store.head()
    refused = client.post(f"{path}/visits", headers=detective, json=VISIT)
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0
    assert "is being repaired" in refused.get_json()["message"]
    called_off = client.post(f"{path}/cancel", headers=detective, json={"reason": "Solved."})
    assert called_off.status_code == 503
    desk, _ = logged_in(app, "det.lee@sfpd.example")
    token = csrf_of(desk.get(f"/canvasses/{canvass_id}").get_data(as_text=True))
    head = services.store.head()  # the page's view of the candidates is recorded, as it must be
    page = desk.post(
        f"/canvasses/{canvass_id}/visits",
        data={"csrf_token": token, "latitude": "37.7618", "longitude": "-122.4238"}
        | {"result": "no_answer"},
    )
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "canvass records) is being repaired" in page.get_data(as_text=True)
    assert services.store.head() == head

    # Everything else carries on: a new owner registers, reads stay served.
    ben, site_id = owner_with_camera(client, mailbox, "ben@example.org", 90)
    sites = client.get("/api/v1/sites", headers=ben).get_json()["sites"]
    assert [site["site_id"] for site in sites] == [site_id]
    assert client.get(path, headers=detective).get_json()["status"] == "dispatched"
    assert visit_results(client, path, detective) == ["camera_present"]
    assert client.get("/").status_code == 200

    # A rebuild that still fails names the event and leaves the old rows serving.
    failed = cli.invoke(args=["projections", "rebuild", "canvass"])
    assert failed.exit_code != 0
    assert f"could not apply event {poisoned_at}" in failed.output
    assert "serves as before" in failed.output
    assert visit_results(client, path, detective) == ["camera_present"]

    # The repair: an upcaster that corrects the event on read, then a rebuild.
    @services.store.upcasters.register("VisitRecorded", from_version=1)
    def unknown_result_is_no_answer(data: dict) -> dict:
        return {**data, "result": data.get("result") or "no_answer"}

    rebuilt = cli.invoke(args=["projections", "rebuild", "canvass"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert client.get("/readyz").status_code == 200
    first, poisoned, met_the_fault = "camera_present", "no_answer", "camera_present"
    assert visit_results(client, path, detective) == [first, poisoned, met_the_fault]
    assert client.post(f"{path}/visits", headers=detective, json=VISIT).status_code == 201
