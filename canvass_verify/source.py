"""Where the events and proofs come from: an export file, or the service over HTTP."""

from __future__ import annotations

import gzip
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from .canonical import MalformedEventError, parse_event

PAGE_SIZE: Final = 1000
USER_AGENT: Final = "canvass-verify"


class SourceError(Exception):
    """The export or the service could not be read: nothing was verified either way."""


def read_export(path: Path) -> Iterator[dict[str, Any]]:
    """The events of a JSON Lines export, gzip-compressed when its name ends in `.gz`."""
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb") as lines:
            yield from _events(lines, str(path))
    except (OSError, EOFError, zlib.error) as error:
        raise SourceError(f"cannot read the export {path}: {error}") from None


class Service:
    """The audit API of a running service, asked with a bearer token and a timeout."""

    def __init__(self, base_url: str, token: str | None, timeout: float) -> None:
        self._base = base_url.rstrip("/") + "/api/v1/audit/"
        self._token = token
        self._timeout = timeout

    def checkpoint(self) -> bytes:
        """The latest signed checkpoint, as published."""
        with self._open("checkpoint") as response:
            return self._read(response)

    def inclusion_proof(self, position: int, size: int) -> dict[str, Any]:
        """The service's proof that the event at `position` is in the tree of `size`."""
        return self._json("proof/inclusion", position=position, size=size)

    def consistency_proof(self, size1: int, size2: int) -> dict[str, Any]:
        """The service's proof that the tree of `size1` is a prefix of the tree of `size2`."""
        return self._json("proof/consistency", **{"from": size1, "to": size2})

    def events(self, up_to: int) -> Iterator[dict[str, Any]]:
        """Events 1..`up_to`, a page at a time, without holding more than one page's line."""
        after, count = 0, 0
        while count < up_to:
            last = after
            limit = min(PAGE_SIZE, up_to - count)
            with self._open("events", after=after, limit=limit) as page:
                for event in _events(self._lines(page), f"the page after position {after}"):
                    yield event
                    count += 1
                    if count == up_to:
                        return
                    if type(event.get("position")) is int:
                        last = event["position"]
            if last <= after:
                return  # an empty page, or one that does not move on: the log ends here
            after = last

    def _json(self, path: str, **query: int) -> dict[str, Any]:
        with self._open(path, **query) as response:
            body = self._read(response)
        try:
            answer = json.loads(body)
        except ValueError:
            raise MalformedEventError(f"the service's {path} is not JSON") from None
        if not isinstance(answer, dict):
            raise MalformedEventError(f"the service's {path} is not a JSON object")
        return answer

    def _open(self, path: str, **query: int) -> http.client.HTTPResponse:
        url = self._base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        try:
            response: http.client.HTTPResponse = urllib.request.urlopen(
                request, timeout=self._timeout
            )
        except urllib.error.HTTPError as error:
            raise SourceError(_refusal(url, error.code, error.reason)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            raise SourceError(f"cannot reach {url}: {reason}") from None
        return response

    def _read(self, response: http.client.HTTPResponse) -> bytes:
        try:
            return response.read()
        except (OSError, http.client.HTTPException) as error:
            raise SourceError(f"the service stopped answering: {error}") from None

    def _lines(self, response: http.client.HTTPResponse) -> Iterator[bytes]:
        try:
            yield from response
        except (OSError, http.client.HTTPException) as error:
            raise SourceError(f"the service stopped answering: {error}") from None


def _events(lines: Iterable[bytes], where: str) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield parse_event(line)
        except MalformedEventError as error:
            raise MalformedEventError(f"{where}, line {number}: {error}") from None


def _refusal(url: str, status: int, reason: str) -> str:
    if status in (401, 403):
        return (
            f"the service refused {url} (HTTP {status} {reason}): "
            "give a valid token with --token or CANVASS_TOKEN"
        )
    return f"the service answered {url} with HTTP {status} {reason}"
