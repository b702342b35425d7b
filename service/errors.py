"""The one place where failures become HTTP answers: JSON under /api/, pages elsewhere.

Nobody ever sees a stack trace: unexpected failures are logged with the request id and
answered with a plain apology that quotes it. A database that cannot be reached just now is
answered 503 with `Retry-After`, so clients and people know to come back.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from accounts import errors as account
from audit.identity import LogIdentityError
from audit.merkle import TreeRangeError
from canvass import errors as canvass
from canvass.footage import FootageRejected
from events_store import (
    ConcurrencyError,
    InvalidEventError,
    ProjectionUnavailable,
    SubjectErasedError,
)
from events_store.database import is_unavailable
from registry import errors as registry

log = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 30

# Typed domain errors and the HTTP status and code each becomes. Errors that carry an
# `errors` mapping of field names to messages pass it on; `retry_after_seconds` becomes
# a Retry-After header.
DOMAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {
    ConcurrencyError: (409, "conflict"),
    InvalidEventError: (422, "invalid"),
    SubjectErasedError: (410, "erased"),
    ProjectionUnavailable: (503, "being_repaired"),
    account.InvalidAccount: (422, "invalid"),
    account.AccountExists: (409, "exists"),
    account.AccountNotFound: (404, "not_found"),
    account.InvalidLink: (400, "invalid_link"),
    account.LoginFailed: (401, "login_failed"),
    account.NotVerified: (403, "not_verified"),
    account.TooManyAttempts: (429, "too_many_attempts"),
    registry.InvalidSite: (422, "invalid"),
    registry.SiteNotFound: (404, "not_found"),
    registry.CameraNotFound: (404, "not_found"),
    registry.NotAllowedNow: (409, "not_allowed_now"),
    registry.LimitReached: (409, "limit_reached"),
    canvass.InvalidCanvass: (422, "invalid"),
    canvass.CanvassNotFound: (404, "not_found"),
    canvass.NotAllowedNow: (409, "not_allowed_now"),
    FootageRejected: (422, "footage_rejected"),
    TreeRangeError: (422, "out_of_range"),
    LogIdentityError: (503, "log_identity_mismatch"),
}

_FRIENDLY: dict[int, tuple[str, str]] = {
    400: ("That request was not understood", "Please check what you entered and try again."),
    401: ("Please log in", "You need to log in to see this page."),
    403: ("Not allowed", "Your account may not do this. Ask your administrator if it should."),
    404: ("Page not found", "There is nothing here. Check the address, or go back home."),
    405: ("Not allowed here", "This page cannot be used that way."),
    409: ("Someone changed this first", "Reload the page to see the latest, then try again."),
    410: ("This data has been erased", "Its owner asked for it to be erased for good."),
    413: ("That is too large", "Please send something smaller."),
    422: ("Please check your entry", "Some of what you entered could not be accepted."),
    429: ("Too many attempts", "Please wait a little and try again."),
    500: ("Something went wrong on our side", "Nothing you did caused this. Please try again."),
    503: ("The service is not ready", "Please try again in a few minutes."),
}


def init_app(app: Flask) -> None:
    """Register the handlers (after flask-smorest, so these are the ones that answer)."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_or_domain_error)


def wants_json() -> bool:
    """Whether the caller is an API client rather than a person with a browser."""
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz")


def error_response(status: int, code: str, message: str, errors: Any = None) -> Response:
    """An error in the house format, as JSON or as a page depending on the caller."""
    if wants_json():
        response = jsonify({"code": code, "message": message, "errors": errors or {}})
    else:
        title, advice = _FRIENDLY.get(status, _FRIENDLY[500 if status >= 500 else 400])
        page = render_template(
            "error.html",
            title=title,
            advice=advice,
            # A 503 says, for people, what is unavailable and when to come back.
            message=message if status < 500 or status == 503 else None,
            request_id=g.get("request_id"),
        )
        response = Response(page, mimetype="text/html")
    response.status_code = status
    return response


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    code = (error.name or "error").lower().replace(" ", "_")
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data.get("messages")) if isinstance(data, dict) else {}
    response = error_response(status, code, error.description or error.name, errors)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _unexpected_or_domain_error(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return _http_error(error)
    for kind in type(error).__mro__:
        if kind in DOMAIN_ERRORS:
            status, code = DOMAIN_ERRORS[kind]
            response = error_response(status, code, str(error), getattr(error, "errors", None))
            if retry_after := getattr(error, "retry_after_seconds", None):
                response.headers["Retry-After"] = str(retry_after)
            return response
    if is_unavailable(error):
        return _database_unavailable(error)
    log.exception("unexpected failure while serving %s %s", request.method, request.path)
    message = (
        "Something went wrong on our side. If it keeps happening, "
        f"quote request id {g.get('request_id', '-')} to the service desk."
    )
    return error_response(500, "internal_error", message)


def _database_unavailable(error: Exception) -> Response:
    cause = getattr(error, "orig", None) or error
    log.warning(
        "database unavailable while serving %s %s (%s)",
        request.method,
        request.path,
        type(cause).__name__,
    )
    g.setdefault("user", None)  # the page around the message must not ask the database again
    message = (
        "The service cannot reach its database just now. "
        f"Please try again in {DATABASE_RETRY_AFTER_SECONDS} seconds."
    )
    response = error_response(503, "database_unavailable", message)
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def _field_errors(messages: Any) -> dict[str, Any]:
    """Flatten webargs' {location: {field: [...]}} into {field: [...]}."""
    if not isinstance(messages, dict):
        return {}
    flat: dict[str, Any] = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            flat.update(location_errors)
    return flat
