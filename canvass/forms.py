"""The staff pages' forms read into what the canvass service takes: a canvass from the
canvass form (times typed in the service's time zone, the area as a circle or drawn corners)
and a door-to-door visit. Refusals come back field by field, as InvalidCanvass."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any

from marshmallow import ValidationError

from registry.actions import candidates
from validation.fields import Text

from .errors import InvalidCanvass
from .schemas import NewCanvassSchema, NewVisitSchema, canvass_details

# The rules (at least so many characters) are the decider's; the form only keeps out what
# the log must never hold.
_REASON = Text(2000, single_line=False)


def canvass_from_form(
    form: dict[str, str], zone: tzinfo, *, geocode: bool = True
) -> dict[str, Any]:
    """The form's fields as the details of a canvass, or InvalidCanvass field by field."""
    errors: dict[str, list[str]] = {}
    body: dict[str, Any] = {
        key: form.get(key, "").strip()
        for key in ("case_number", "category", "justification", "legal_basis")
    }
    if not body["legal_basis"]:
        errors["legal_basis"] = ["Choose the legal basis for asking owners."]
        del body["legal_basis"]
    for key in ("window_start", "window_end"):
        body[key] = _typed_time(form.get(key, ""), key, zone, errors)
    body["incident"] = _place(form, errors, geocode)
    body["area"] = _area(form, errors)
    try:
        loaded = NewCanvassSchema(partial=("legal_basis",)).load(body)
    except ValidationError as invalid:
        for key, messages in flatten(invalid.messages).items():
            errors.setdefault(key, messages)
    if errors:
        raise InvalidCanvass(errors)
    return canvass_details(loaded)


def _typed_time(text: str, key: str, zone: tzinfo, errors: dict[str, list[str]]) -> str | None:
    """A date and time typed in the service's time zone, as ISO text with its offset."""
    if not text.strip():
        errors[key] = ["Give a date and time."]
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        errors[key] = ["Give a date and time like 2026-11-20 21:30."]
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


def _place(form: dict[str, str], errors: dict[str, list[str]], geocode: bool) -> Any:
    """The incident's place: the typed address when that was the last thing the person did
    (the page says which in `placed_by`), else the coordinates, else the address."""
    latitude, longitude = form.get("latitude", "").strip(), form.get("longitude", "").strip()
    address = form.get("address", "").strip()
    by_address = form.get("placed_by") == "address" and address
    if (latitude or longitude) and not by_address:
        return {"latitude": latitude or None, "longitude": longitude or None}
    if address and geocode:
        places = candidates(address)
        if len(places) == 1:
            return {"latitude": places[0].latitude, "longitude": places[0].longitude}
        errors["address"] = [
            "We could not find this address. Check it, or click the map where it happened."
            if not places
            else "This address matches several places. Add the town, or click the map."
        ]
    elif by_address and latitude and longitude:  # the live check: the page found the address
        return {"latitude": latitude, "longitude": longitude}
    elif by_address:
        errors["incident"] = ["Put the address on the map: press Enter in the address field."]
    elif not address:
        errors["incident"] = ["Click the map where it happened, or give its address."]
    return None


def _area(form: dict[str, str], errors: dict[str, list[str]]) -> Any:
    if form.get("shape", "circle") == "polygon":
        corners = _typed_corners(form.get("corners", ""), errors)
        if corners is None and "corners" not in errors:
            try:
                corners = json.loads(form.get("polygon") or "[]")
            except (ValueError, RecursionError):
                corners = None
        if not corners and "corners" not in errors:
            errors["corners"] = [
                "Draw the area on the map (click each corner in turn), or type its corners."
            ]
        return {"polygon": corners} if corners else None
    radius = form.get("radius_m", "").strip()
    if not radius:
        errors["radius_m"] = ["Give the radius in metres, e.g. 250."]
        return None
    return {"radius_m": radius}


def _typed_corners(text: str, errors: dict[str, list[str]]) -> list[list[float]] | None:
    """Corners typed one a line as 'latitude, longitude'; None when nothing is typed."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    corners = []
    for number, line in enumerate(lines, 1):
        parts = [part for part in line.replace(",", " ").split() if part]
        try:
            latitude, longitude = (float(part) for part in parts)
        except ValueError:
            errors["corners"] = [
                f"Corner {number} ({line[:40]}) is not a latitude and a longitude, like "
                "37.7601, -122.4148."
            ]
            return None
        corners.append([latitude, longitude])
    return corners


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages keyed by the form's field names."""
    flat: dict[str, list[str]] = {}
    for key, value in dict(messages).items():
        name = prefix if key == "_schema" else str(key)
        if isinstance(value, dict):
            inner = flatten(value, name)
            if name in ("incident", "area", "place") or str(key).isdigit():
                for inner_key, inner_messages in inner.items():
                    flat.setdefault(inner_key or name, []).extend(inner_messages)
            else:
                flat.setdefault(name, []).extend(m for ms in inner.values() for m in ms)
        else:
            flat.setdefault(name or "form", []).extend(
                value if isinstance(value, list) else [str(value)]
            )
    return flat


VISIT_FIELDS = (
    "address",
    "latitude",
    "longitude",
    "result",
    "retention_days",
    "clock_offset_seconds",
    "contact_made",
    "revisit_due",
    "note",
    "site_id",
)


def visit_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The visit form's fields as a door-to-door visit, or InvalidCanvass field by field.
    A visit placed by its address alone is looked up in the geocoder."""
    body: dict[str, Any] = {
        "latitude": form.get("latitude", "").strip() or None,
        "longitude": form.get("longitude", "").strip() or None,
        "address": form.get("address", "").strip() or None,
        "result": form.get("result", ""),
        "retention_days": whole_number(form.get("retention_days")),
        "clock_offset_seconds": whole_number(form.get("clock_offset_seconds")),
        "contact_made": form.get("contact_made") == "yes",
        "revisit_due": form.get("revisit_due") or None,
        "note": form.get("note") or None,
        "site_id": form.get("site_id") or None,
    }
    errors: dict[str, list[str]] = {}
    if body["latitude"] is None and body["longitude"] is None:
        if body["address"]:
            body |= _place({"address": body["address"]}, errors, geocode=True) or {}
        else:
            errors["address"] = ["Click the map at the door you knocked on, or type its address."]
    if not body["result"]:
        errors["result"] = ["Choose what you found at the door."]
    try:
        visit: dict[str, Any] = NewVisitSchema().load(body)
    except ValidationError as invalid:
        for key, messages in flatten(invalid.messages).items():
            if key in ("latitude", "longitude") and "address" in errors:
                continue  # said once, beside the address: where the door is
            errors.setdefault(key, _visit_message(key, messages))
    if errors:
        raise InvalidCanvass(errors)
    if visit["revisit_due"] is not None:
        visit["revisit_due"] = visit["revisit_due"].isoformat()
    return visit


def _visit_message(key: str, messages: list[str]) -> list[str]:
    if key == "result":
        return ["Choose what you found at the door."]
    if key in ("latitude", "longitude") and "This field cannot be empty." in messages:
        return [f"Give the {key} too, or click the map at the door."]
    return messages


def whole_number(text: str | None) -> int | str | None:
    """A typed whole number as an int; anything else as typed, for the schema to explain."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def reason_from_form(text: str) -> str:
    """A supervisor's typed reason, NFC and without control characters, or InvalidCanvass."""
    try:
        reason: str = _REASON.deserialize(text)
    except ValidationError as invalid:
        raise InvalidCanvass({"reason": list(invalid.messages)}) from None
    return reason
