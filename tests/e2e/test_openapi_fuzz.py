"""The API document tells the truth: who needs a token, the error body, the media types of
files and exports, checked answer by answer; then schemathesis against the running service
for each role's token: no input makes the service fail, every answer is one the document
promises (status, media type and body), and no operation that asks for a token goes without."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis as st

from accounts.permissions import roles_for
from tests.e2e.test_canvass_api import canvass_body, staff
from tests.e2e.test_owner_browser import ARTIFACTS
from tests.e2e.test_owner_journey_api import EMAIL, PASSWORD, link_token, sign_up_and_verify
from tests.e2e.test_registry_api_authorization import CAMERA, PIN
from tests.support.live_server import serving
from tests.unit.test_footage_store import mp4

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,ignored_auth"
)
# Operations that end what the others act on: each runs last, in a run of its own, as the
# role that may, so the others meet the site, the camera, the canvass and the token alive.
ENDINGS = {
    "owner": (
        "DELETE /api/v1/sites/{site_id}/cameras/{camera_id}",
        "DELETE /api/v1/sites/{site_id}",
    ),
    "investigator": ("POST /api/v1/canvasses/{canvass_id}/cancel",),
    "spare": ("DELETE /api/v1/tokens/{token_id}",),
}
JSON = "application/json"
REAL_ID_ODDS = 0.8
EXAMPLES_PER_OPERATION = 10
# Each run spends its budget (schemathesis stops there and reports what it found): a role's
# run on the operations it may perform (and the public ones), one run of an owner's token on
# every operation it may not, and one for each ending; about ninety seconds a backend,
# however fast the machine is.
SECONDS_PER_ROLE, SECONDS_REFUSED, SECONDS_PER_ENDING = 15, 10, 6
ROLES = ("owner", "investigator", "supervisor", "auditor")


@pytest.fixture
def people(app, client, cli, mailbox):
    """An owner with a site, asked for footage by an investigator's dispatched canvass and
    having sent a clip; a supervisor and an auditor of the same agency. Each one's token,
    and the ids worth aiming at."""
    owner = {"Authorization": f"Bearer {sign_up_and_verify(client, mailbox)}"}
    site = client.post("/api/v1/sites", headers=owner, json=PIN | {"cameras": [CAMERA]})
    assert site.status_code == 201, site.get_json()
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    place = type("Place", (), {"latitude": PIN["latitude"], "longitude": PIN["longitude"]})
    body = canvass_body(place, datetime.now(UTC) - timedelta(hours=2), "property_crime", 200)
    canvass_id = client.post("/api/v1/canvasses", headers=detective, json=body).get_json()[
        "canvass_id"
    ]
    path = f"/api/v1/canvasses/{canvass_id}"
    assert client.post(f"{path}/submit", headers=detective).get_json()["status"] == "approved"
    assert client.post(f"{path}/dispatch", headers=detective).status_code == 200
    app.extensions["canvass"].outbox.send_pending()  # the scheduler's job, done now
    [asked] = [m for m in mailbox.to(EMAIL) if m["Subject"].startswith("A request")]
    clip = client.put(
        "/api/v1/requests/footage", query_string={"token": link_token(asked)}, data=mp4()
    )
    assert clip.status_code == 201, clip.get_json()
    ids = {
        "path.site_id": site.get_json()["site_id"],
        "path.camera_id": site.get_json()["cameras"][0]["camera_id"],
        "path.canvass_id": canvass_id,
        "path.sha256": clip.get_json()["sha256"],
        "path.subject_id": client.get("/api/v1/me", headers=owner).get_json()["user_id"],
        "query.token": link_token(asked),
    }
    tokens = {
        "owner": owner,
        "investigator": detective,
        "supervisor": staff(cli, client, mailbox, "supervisor", "SFPD", "sup.kim@sfpd.example"),
        "auditor": staff(cli, client, mailbox, "auditor", "SFPD", "aud.ray@sfpd.example"),
    }
    return tokens, ids


@pytest.fixture
def document(client):
    """The served document, as JSON and as schemathesis reads it."""
    raw = client.get("/api/v1/openapi.json").get_json()
    return raw, st.openapi.from_dict(raw)


def operations(raw):
    for path, item in raw["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method.upper(), path, operation


def assert_documented(document, method, path, response):
    """The answer's status and media type are listed for the operation, and its body fits."""
    raw, parsed = document
    answers = raw["paths"][path][method.lower()]["responses"]
    assert str(response.status_code) in answers, (method, path, response.status_code)
    media_type = response.mimetype
    if response.data or media_type != "application/json":
        assert media_type in answers[str(response.status_code)].get("content", {}), media_type
    parsed[path][method].validate_response(response)


def test_an_operation_answers_401_without_a_token_exactly_when_the_document_asks_for_one(
    client, document
):
    raw, _ = document
    for method, path, operation in operations(raw):
        needs_token = bool(operation["security"]) and all(operation["security"])
        url = re.sub(r"{\w+}", "some-id", path)
        response = client.open(url, method=method, json={} if "requestBody" in operation else None)
        assert (response.status_code == 401) == needs_token, (method, path, response.status_code)
        if needs_token:
            assert_documented(document, method, path, response)


def test_every_kind_of_refusal_is_sent_as_the_documented_error_body(client, people, document):
    tokens, ids = people
    owner, detective = tokens["owner"], tokens["investigator"]
    site = f"/api/v1/sites/{ids['path.site_id']}"
    dispatch = f"/api/v1/canvasses/{ids['path.canvass_id']}/dispatch"
    refusals = [
        ("GET", "/api/v1/sites", "/api/v1/sites", {}, {}, 401),
        ("GET", "/api/v1/canvasses", "/api/v1/canvasses", owner, {}, 403),
        ("GET", "/api/v1/sites/{site_id}", "/api/v1/sites/nothing-here", owner, {}, 404),
        ("POST", "/api/v1/canvasses/{canvass_id}/dispatch", dispatch, detective, {}, 409),
        ("PATCH", "/api/v1/sites/{site_id}", site, owner, {"json": {"label": ""}}, 422),
        ("PATCH", "/api/v1/sites/{site_id}", site, owner, {"data": "{", "content_type": JSON}, 400),
        ("PATCH", "/api/v1/sites/{site_id}", site, owner, {"json": {"label": "x" * 2**20}}, 413),
    ]  # fmt: skip
    for method, path, url, bearer, body, status in refusals:
        response = client.open(url, method=method, headers=bearer, **body)
        assert response.status_code == status, (method, url, response.get_json())
        assert set(response.get_json()) == {"code", "message", "errors"}
        assert_documented(document, method, path, response)
    login = {"email": EMAIL, "password": "not the password at all", "name": "guess"}
    answers = [client.post("/api/v1/tokens", json=login) for _ in range(12)]
    assert {401, 429} <= {answer.status_code for answer in answers}
    for answer in answers:
        assert_documented(document, "POST", "/api/v1/tokens", answer)


def test_files_and_exports_come_in_the_media_types_the_document_lists(client, people, document):
    tokens, ids = people
    canvass = "/api/v1/canvasses/{canvass_id}"
    downloads = [
        ("investigator", f"{canvass}/export.csv", {}, "text/csv"),
        ("investigator", f"{canvass}/export.geojson", {}, "application/geo+json"),
        ("investigator", f"{canvass}/footage/{{sha256}}", {}, "application/octet-stream"),
        ("supervisor", f"{canvass}/package", {}, "application/zip"),
        ("auditor", "/api/v1/audit/events", {}, "application/x-ndjson"),
        ("auditor", "/api/v1/audit/access", {"format": "csv"}, "text/csv"),
        ("auditor", "/api/v1/audit/access", {"format": "jsonl"}, "application/x-ndjson"),
        ("auditor", "/api/v1/audit/access", {}, "application/json"),
        ("auditor", "/api/v1/audit/canvasses/{canvass_id}/timeline", {}, "application/json"),
        ("auditor", "/api/v1/audit/owners/{subject_id}/timeline", {}, "application/json"),
        ("auditor", "/api/v1/audit/anomalies", {}, "application/json"),
        ("auditor", "/api/v1/audit/checkpoint", {}, "text/plain"),
        ("auditor", "/api/v1/audit/public-key", {}, "text/plain"),
    ]
    for role, path, query, media_type in downloads:
        url = re.sub(r"{(\w+)}", lambda m: ids[f"path.{m.group(1)}"], path)
        with client.get(url, headers=tokens[role], query_string=query) as response:
            assert (response.status_code, response.mimetype) == (200, media_type), url
            assert_documented(document, "GET", path, response)


def known_ids_mostly(parameters) -> str:
    """A configuration that fills each parameter with its real id most of the time, and with
    whatever schemathesis makes up (hostile ids included) the rest."""
    names = {key: key.replace(".", "_") for key in parameters}
    dictionaries = "".join(
        f'[dictionaries.{names[k]}]\nvalues = ["{v}"]\n' for k, v in parameters.items()
    )
    bindings = "".join(
        f'"{k}" = {{ dictionary = "{names[k]}", probability = {REAL_ID_ODDS} }}\n'
        for k in parameters
    )
    return f"{dictionaries}[parameters]\n{bindings}"


def schemathesis(base_url, bearer, parameters, seconds, tmp_path, *operations) -> tuple[int, str]:
    """One run of the schemathesis CLI within `seconds`; its exit code and what it printed."""
    config = tmp_path / "schemathesis.toml"
    config.write_text(known_ids_mostly(parameters))
    command = [
        str(SCHEMATHESIS), "--config-file", str(config), "run",
        f"{base_url}/api/v1/openapi.json",
        "--checks", CHECKS,
        "--header", f"Authorization:{bearer['Authorization']}",
        "--max-examples", str(EXAMPLES_PER_OPERATION),
        "--max-time", str(seconds),
        "--phases", "examples,coverage,fuzzing",
        "--seed", "20261201",
        "--workers", "1",  # hypothesis parses lambdas with ast, which threads can break
        "--request-timeout", "20",
        "--suppress-health-check", "all",
        "--generation-database", "none",
        "--no-color",
        "--output-truncate", "false",
        *operations,
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, cwd=tmp_path
        )
    except subprocess.TimeoutExpired as expired:
        printed = expired.stdout or b""  # bytes, even in text mode
        return -1, f"still running {seconds + 60} s after it started\n{printed.decode()}"
    return done.returncode, done.stdout + done.stderr


def operations_by_role(app, raw) -> dict[str, set[str]]:
    """Each documented operation ("METHOD /path/{param}", as schemathesis names it) under
    the roles that may perform it, from the permission table the views declare; public ones
    under every role."""
    documented = {f"{method} {path}" for method, path, _ in operations(raw)}
    allowed: dict[str, set[str]] = {role: set() for role in ROLES}
    for rule in app.url_map.iter_rules():
        method = next(m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in rule.methods)
        name = f"{method} " + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        if name not in documented:
            continue
        action = getattr(app.view_functions[rule.endpoint], "required_action", None)
        for role in roles_for(action) if action else ROLES:
            if role in allowed:
                allowed[role].add(name)
    return allowed


def test_each_role_is_fuzzed_on_every_documented_operation_it_may_perform(app, document):
    raw, _ = document
    allowed = operations_by_role(app, raw)
    assert set().union(*allowed.values()) == {f"{m} {path}" for m, path, _ in operations(raw)}
    assert "DELETE /api/v1/sites/{site_id}" in allowed["owner"] - allowed["investigator"]
    assert "GET /api/v1/audit/access" in allowed["auditor"] - allowed["supervisor"]
    assert "GET /readyz" in allowed["owner"] & allowed["auditor"]


@pytest.mark.slow
def test_no_request_of_any_role_breaks_the_service_or_its_document(
    app, client, people, document, tmp_path, backend
):
    tokens, ids = people
    login = {"email": EMAIL, "password": PASSWORD, "name": "spare"}
    spare = client.post("/api/v1/tokens", json=login).get_json()
    tokens["spare"] = {"Authorization": f"Bearer {spare['token']}"}  # the one to revoke
    ids["path.token_id"] = spare["token_id"]
    ending = {name for names in ENDINGS.values() for name in names}
    allowed = operations_by_role(app, document[0])
    everything = set().union(*allowed.values())
    runs = [
        (role, SECONDS_PER_ROLE, [f"--include-name={name}" for name in sorted(mine - ending)])
        for role, mine in allowed.items()
    ]
    refused = sorted(everything - allowed["owner"] - ending)
    runs.append(("owner-refused", SECONDS_REFUSED, [f"--include-name={name}" for name in refused]))
    runs += [
        (f"{role}-ending", SECONDS_PER_ENDING, [f"--include-name={name}" for name in names])
        for role, names in ENDINGS.items()
    ]
    failures = []
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(app) as base_url:
        for run, seconds, operations in runs:
            bearer = tokens[run.partition("-")[0]]  # "owner-refused", "spare-ending": the role
            code, printed = schemathesis(base_url, bearer, ids, seconds, tmp_path, *operations)
            (ARTIFACTS / f"schemathesis-{backend}-{run}.txt").write_text(printed)
            if code != 0:
                failures.append(f"===== {run} (exit {code})\n{printed}")
    assert not failures, "\n".join(failures)
