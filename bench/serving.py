"""The service as a benchmark runs it: the app on a database with an instance folder of its
own, served by waitress on the loopback, and an auditor's keep-alive client of its audit API."""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from waitress.server import create_server

from accounts.links import SET_PASSWORD, Links
from canvass_verify.note import Checkpoint, VerifierKey, parse_checkpoint, read_note
from service import create_app

WARM_UP_REQUESTS = 50


@contextmanager
def service(url: str) -> Iterator[Flask]:
    """The service on `url`, its keys and secrets in an instance folder of its own."""
    with tempfile.TemporaryDirectory(prefix="bench-audit-instance-") as instance:
        previous = os.environ.get("CANVASS_INSTANCE_PATH")
        os.environ["CANVASS_INSTANCE_PATH"] = instance  # create_app reads it, nothing else
        try:
            app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
        finally:
            os.environ.pop("CANVASS_INSTANCE_PATH")
            if previous is not None:
                os.environ["CANVASS_INSTANCE_PATH"] = previous
        try:
            yield app
        finally:
            app.extensions["canvass"].close()


@contextmanager
def served(app: Flask) -> Iterator[int]:
    """The app behind waitress on 127.0.0.1, as in the e2e tests; yields the port."""
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        server.close()
        thread.join(timeout=10)


def auditor_token(app: Flask) -> str:
    """An auditor's API token, made as a person would: account, emailed link, password."""
    accounts = app.extensions["canvass"].accounts
    user_id = accounts.create_staff("auditor@bench.example", "Bench Auditor", "auditor", "SFPD")
    link = Links(app.config["SECRET_KEY"]).make(SET_PASSWORD, user_id, "")
    accounts.set_password(link, "a benchmark passphrase")
    return str(accounts.issue_token(accounts.user(user_id), "bench").secret)


class AuditorClient:
    """One keep-alive HTTP/1.1 connection to the served audit API, with a bearer token."""

    def __init__(self, port: int, token: str) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self._headers = {"Authorization": f"Bearer {token}"}
        self.reconnections = 0

    def get(self, path: str) -> tuple[float, bytes]:
        """Seconds from sending the request to the answer's last byte, and the answer."""
        started = time.perf_counter()
        self._connection.request("GET", "/api/v1/audit/" + path, headers=self._headers)
        response = self._connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}: {body[:200]!r}")
        self.reconnections += response.will_close
        return elapsed, body

    def proofs(self, paths: list[str]) -> tuple[list[float], list[dict]]:
        """Each proof's time after a warm-up, and its answer, decoded once the clock stops."""
        for path in paths[:WARM_UP_REQUESTS]:
            self.get(path)
        answers = [self.get(path) for path in paths]
        return [seconds for seconds, _ in answers], [json.loads(body) for _, body in answers]

    def checkpoint(self) -> Checkpoint:
        """The latest checkpoint, its signature checked with the published key."""
        key = VerifierKey.parse(self.get("public-key")[1].decode())
        note = read_note(self.get("checkpoint")[1])
        note.verify(key)
        return parse_checkpoint(note.text)

    def close(self) -> None:
        self._connection.close()
