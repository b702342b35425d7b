"""The API document made to tell the truth: tokens, error bodies, statuses, uploads, files.

flask-smorest documents what the decorators say. What they cannot say is derived here once,
after every blueprint is registered: security and 401/403 from the permission table that
guards each view, 404 from path parameters, 400/413 from request bodies, 409/422 from
commands, 503 from the database behind every operation, and a few answers per endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from copy import deepcopy
from typing import Any

from flask import Flask
from flask_smorest import Api
from werkzeug.routing import Rule

from accounts.permissions import ANY_ACCOUNT, roles_for

BEARER = "bearerToken"
METHODS = ("get", "post", "put", "patch", "delete")
WRITES = ("post", "put", "patch", "delete")
ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the API answers, whatever its status.",
    "properties": {
        "code": {
            "type": "string",
            "description": "what went wrong, for programs",
            "example": "invalid",
        },
        "message": {"type": "string", "description": "what went wrong, for people"},
        "errors": {
            "type": "object",
            "description": "For refused input: each field named, with what is wrong with it "
            "(nested fields hold an object of their own).",
            "additionalProperties": {
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]
            },
        },
    },
    "required": ["code", "message", "errors"],
    "additionalProperties": False,
}

REASONS = {
    400: "The request was not understood (for example, a body that is not JSON, or a link "
    "that is no longer valid)",
    401: "No valid credentials: log in for an API token and send it as a bearer token",
    403: "Your account may not do this",
    404: "Not found, or not yours to see",
    409: "Not possible now: something changed first, or the thing is not in a state for it",
    410: "Erased for good at its owner's request",
    413: "The request body is too large",
    422: "The input was refused: every field in error is named",
    429: "Too many attempts: wait as long as Retry-After says",
    503: "The service cannot answer now (its database or a read model is not available): "
    "try again after Retry-After",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}
CHALLENGE = {
    "WWW-Authenticate": {"description": "How to authenticate", "schema": {"type": "string"}}
}

TEXT = {"type": "string"}
BINARY = {"type": "string", "format": "binary"}
EVENTS = {
    "type": "object",
    "required": ["events"],
    "properties": {"events": {"type": "array", "items": {"type": "object"}}},
}

# Answers the decorators cannot describe, by endpoint: status -> media type -> schema.
ANSWERS: dict[str, dict[int, dict[str, Any]]] = {
    "audit.checkpoint": {200: {"text/plain": TEXT}},
    "audit.issue_checkpoint": {201: {"text/plain": TEXT}},
    "audit.public_key": {200: {"text/plain": TEXT}},
    "audit.export": {200: {"application/x-ndjson": TEXT}},
    "audit.search_access": {200: {"text/csv": TEXT, "application/x-ndjson": TEXT}},
    "audit.timeline": {200: {"application/json": EVENTS}},
    "audit.owner_story": {
        200: {
            "application/json": {
                "type": "object",
                "required": ["events", "accesses"],
                "properties": {
                    "events": {"type": "array", "items": {"type": "object"}},
                    "accesses": {"type": "array", "items": {"type": "object"}},
                },
            }
        }
    },
    "audit.anomalies": {
        200: {
            "application/json": {
                "type": "object",
                "required": ["flags", "rules"],
                "properties": {
                    "flags": {"type": "array", "items": {"type": "object"}},
                    "rules": {"type": "object"},
                },
            }
        }
    },
    "canvass.download_footage": {200: {"application/octet-stream": BINARY}},
    "canvass.case_package": {200: {"application/zip": BINARY}},
    "canvass.export_csv": {200: {"text/csv": TEXT}},
    "canvass.export_geojson": {
        200: {
            "application/geo+json": {
                "type": "object",
                "required": ["type", "features"],
                "properties": {
                    "type": {"const": "FeatureCollection"},
                    "features": {"type": "array", "items": {"type": "object"}},
                },
            }
        }
    },
}

# Bodies the route reads itself rather than through a schema, described with the settings.
BODIES: dict[str, Callable[[Flask], dict[str, Any]]] = {
    "canvass.upload_footage": lambda app: {
        "description": "The video file itself, as the recorder's app exported it (MP4, MOV, "
        f"AVI, MKV or MPEG; at most {app.config['FOOTAGE_MAX_BYTES']:,} bytes). Any other "
        "content is refused with 422.",
        "required": True,
        "content": {"application/octet-stream": {"schema": BINARY}},
    },
}

# Errors the handlers behind an endpoint raise beyond what the general rules derive.
EXTRA_ERRORS: dict[str, set[int]] = {
    "accounts.verify": {400, 404},  # a link used, expired or forged; its account gone
    "accounts.set_password": {400, 404},
    "accounts.create_token": {401, 403, 429},  # wrong password, unconfirmed, too many tries
    "accounts.erase_me": {429},
    "canvass.answer_request": {400, 404, 410},  # the emailed link's request, or its owner
    "canvass.upload_footage": {400, 404, 410},
    "canvass.download_footage": {410},
    "canvass.case_package": {410},
    "transparency.coverage": {429},  # the public figures' rate limit, per client address
    "transparency.transparency_figures": {429},
    # a draft lists no candidates until it is submitted, nor a canvass called off
    "canvass.candidate_cameras": {409},
    "canvass.export_geojson": {409},
    "canvass.export_csv": {409},
}
# Operations that a bearer token may, but need not, accompany.
OPTIONAL_TOKEN = {"accounts.create_token"}


def init_app(app: Flask, api: Api) -> None:
    """Complete the document of every API route once all blueprints are registered."""
    spec = api.spec
    assert spec is not None
    spec.components.security_scheme(
        BEARER,
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from POST /api/v1/tokens.",
        },
    )
    spec.components.schemas["Error"] = deepcopy(ERROR_SCHEMA)
    paths = spec.to_dict()["paths"]
    for rule, path in _documented_rules(app, paths):
        action = getattr(app.view_functions[rule.endpoint], "required_action", None)
        operations = {
            method: _complete(rule, method, deepcopy(operation), action, app)
            for method, operation in paths[path].items()
            if method in METHODS and method.upper() in (rule.methods or ())
        }
        spec.path(rule=rule, operations=operations)


def _documented_rules(app: Flask, paths: dict[str, Any]) -> Iterator[tuple[Rule, str]]:
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
        if path in paths:
            yield rule, path


def _complete(
    rule: Rule, method: str, operation: dict[str, Any], action: str | None, app: Flask
) -> dict[str, Any]:
    endpoint = rule.endpoint
    responses = operation.setdefault("responses", {})
    responses.pop("default", None)  # every status is listed: nothing is left to a default
    for status, media in ANSWERS.get(endpoint, {}).items():
        answer = responses.setdefault(str(status), {"description": "OK"})
        content = answer.setdefault("content", {})
        content.update({kind: {"schema": deepcopy(schema)} for kind, schema in media.items()})
    if endpoint in BODIES:
        operation["requestBody"] = BODIES[endpoint](app)
    if action is None:
        operation["security"] = [{}, {BEARER: []}] if endpoint in OPTIONAL_TOKEN else []
    else:
        operation["security"] = [{BEARER: []}]
    for status in sorted(_errors(rule, method, operation, action)):
        if "content" not in responses.get(str(status), {}):  # absent, or flask-smorest's $ref
            responses[str(status)] = _error_answer(status)
    return operation


def _errors(rule: Rule, method: str, operation: dict[str, Any], action: str | None) -> set[int]:
    """The error statuses an operation can answer, from what guards and feeds it."""
    errors = set(EXTRA_ERRORS.get(rule.endpoint, set()))
    if rule.rule.startswith("/api/"):
        errors.add(503)  # the database, or a read model the answer needs, is not available
    if action is not None:
        errors.add(401)
        if set(roles_for(action)) != set(ANY_ACCOUNT):
            errors.add(403)
    if rule.arguments:
        errors.add(404)
    if "requestBody" in operation:
        errors |= {400, 413, 422}
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        errors.add(422)
    if method in WRITES:
        errors |= {409, 422}
    return errors


def _error_answer(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": REASONS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status in (429, 503):
        answer["headers"] = RETRY_AFTER
    if status == 401:
        answer["headers"] = CHALLENGE
    return answer
