"""schemathesis against the running service, for each role's token: no input makes the service
fail, and every answer is one the API document promises (status, media type and body)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.test_canvass_api import canvass_body, staff
from tests.e2e.test_owner_journey_api import EMAIL, PASSWORD, sign_up_and_verify
from tests.e2e.test_registry_api_authorization import CAMERA, PIN
from tests.support.live_server import serving

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)
REVOKE = "/api/v1/tokens/{token_id}"
EXAMPLES_PER_OPERATION = 10
# Each run spends its budget (schemathesis stops there and reports what it found), so the
# five runs on a backend take about two minutes however fast the machine is.
SECONDS_PER_ROLE, SECONDS_TO_REVOKE = 25, 10

pytestmark = pytest.mark.slow


@pytest.fixture
def people(app, client, cli, mailbox):
    """An owner with a site, an investigator with an approved canvass beside it, a supervisor
    and an auditor of the same agency; each one's token, and the ids worth aiming at."""
    owner = {"Authorization": f"Bearer {sign_up_and_verify(client, mailbox)}"}
    site = client.post("/api/v1/sites", headers=owner, json=PIN | {"cameras": [CAMERA]})
    assert site.status_code == 201, site.get_json()
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    place = type("Place", (), {"latitude": PIN["latitude"], "longitude": PIN["longitude"]})
    at = datetime.now(UTC) - timedelta(hours=2)
    body = canvass_body(place, at, "property_crime", 200)
    canvass = client.post("/api/v1/canvasses", headers=detective, json=body)
    assert canvass.status_code == 201, canvass.get_json()
    canvass_id = canvass.get_json()["canvass_id"]
    submitted = client.post(f"/api/v1/canvasses/{canvass_id}/submit", headers=detective)
    assert submitted.status_code == 200, submitted.get_json()
    ids = {
        "site_id": site.get_json()["site_id"],
        "camera_id": site.get_json()["cameras"][0]["camera_id"],
        "canvass_id": canvass_id,
        "subject_id": client.get("/api/v1/me", headers=owner).get_json()["user_id"],
    }
    tokens = {
        "owner": owner,
        "investigator": detective,
        "supervisor": staff(cli, client, mailbox, "supervisor", "SFPD", "sup.kim@sfpd.example"),
        "auditor": staff(cli, client, mailbox, "auditor", "SFPD", "aud.ray@sfpd.example"),
    }
    return tokens, ids


def schemathesis(base_url, bearer, parameters, seconds, tmp_path, *operations) -> tuple[int, str]:
    """One run of the schemathesis CLI within `seconds`; its exit code and what it printed."""
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[parameters]\n" + "".join(f'"path.{k}" = "{v}"\n' for k, v in parameters.items())
    )
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


def test_no_request_of_any_role_breaks_the_service_or_its_document(app, client, people, tmp_path):
    tokens, ids = people
    login = {"email": EMAIL, "password": PASSWORD, "name": "spare"}
    spare = client.post("/api/v1/tokens", json=login).get_json()
    failures = []
    with serving(app) as base_url:
        for role, bearer in tokens.items():
            code, printed = schemathesis(
                base_url, bearer, ids, SECONDS_PER_ROLE, tmp_path, "--exclude-path", REVOKE
            )
            if code != 0:
                failures.append(f"===== as {role} (exit {code})\n{printed}")
        # Revoking a token cuts every later request short: its own run, with a token of its own.
        code, printed = schemathesis(
            base_url, {"Authorization": f"Bearer {spare['token']}"},
            ids | {"token_id": spare["token_id"]}, SECONDS_TO_REVOKE, tmp_path,
            "--include-path", REVOKE,
        )  # fmt: skip
        if code != 0:
            failures.append(f"===== revoking a token (exit {code})\n{printed}")
    assert not failures, "\n".join(failures)
