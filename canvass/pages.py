"""The owner's answer page, reached from the emailed link without logging in."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from accounts.auth import current_user, page_allows
from accounts.errors import InvalidLink
from accounts.links import ANSWER_REQUEST
from accounts.queries import accounts

from .errors import NotAllowedNow
from .footage import FootageRejected, StoredFootage
from .policy import CATEGORY_NAMES
from .projection import requests
from .queries import cameras_with_sites, requests_with_canvass
from .requests import ANSWERS, CANVASS_ENDED
from .schemas import answer_note, upload_details
from .staff_pages import footage_offers

bp = Blueprint("request_pages", __name__, template_folder="templates")

CHOICES = {
    "share_now": "I have footage and will upload it (we will send you how)",
    "will_bring": "I have footage and will bring or send it myself",
    "no_footage": "My cameras did not record anything useful",
    "decline": "I prefer not to help with this request",
}


@bp.get("/my-requests")
@page_allows("requests.own")
def my_requests() -> ResponseReturnValue:
    """Every request sent to the owner: who asked, about what, when, and its state."""
    user = current_user()
    assert user is not None
    services = current_app.extensions["canvass"]
    query = (
        requests_with_canvass()
        .where(requests.c.owner_id == user.user_id)
        .order_by(requests.c.sent_at.desc())
    )
    with services.engine.connect().execution_options(read_only=True) as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
        for row in rows:
            asked = json.loads(row["camera_ids"])
            row["cameras"] = cameras_with_sites(conn, services.vault, asked)
    links = services.canvass.dispatcher.links
    for row in rows:
        if row["canvass_status"] != "dispatched":
            continue  # the canvass has ended: nothing more is asked of the owner
        if row["status"] == "sent" or row["answer"] in ("share_now", "will_bring"):
            row["answer_token"] = links.make(ANSWER_REQUEST, row["request_id"], "sent")
    return render_template("canvass/my_requests.html", rows=rows, names=CATEGORY_NAMES)


@bp.get("/canvasses/<canvass_id>/report")
@page_allows("canvass.read")
def report(canvass_id: str) -> ResponseReturnValue:
    """A printable page for the case file: the canvass, its candidates, answers, footage and
    visits. Owners appear only as site references."""
    user = current_user()
    assert user is not None
    services = current_app.extensions["canvass"]
    service = services.canvass
    canvass = service.view(user, canvass_id)
    found, not_listed = service.candidates_or_why(user, canvass_id, "report")
    return render_template(
        "canvass/report.html",
        canvass=canvass,
        found=found,
        not_listed=not_listed,
        answers=service.requests(user, canvass_id),
        offers=footage_offers(user, canvass_id),
        approver=_approver(services, canvass["approved_by"]),
        files=services.footage.listing(canvass_id),
        visits=service.visits(user, canvass_id),
        names=CATEGORY_NAMES,
        printed_at=service.clock(),
    )


def _approver(services: Any, approved_by: str | None) -> str:
    """Who approved the canvass, in words: the agency's policy, or the supervisor by name."""
    if approved_by is None:
        return "not yet"
    if approved_by == "policy":
        return "the agency's policy (within its limits)"
    found = accounts(services.engine, services.vault, [approved_by]).get(approved_by)
    if found is None:
        return "a supervisor"
    return f"{found.display_name or 'erased account'} (supervisor, {found.agency})"


@bp.route("/requests/answer", methods=["GET", "POST"])
def answer() -> ResponseReturnValue:
    """Show who asks, about what and which cameras, with the choices; record the owner's
    answer once. Opened again later, the link leads to what fits: the upload page, the
    answer given, or why nothing more is needed."""
    token = request.values.get("token", "")
    error = None
    if request.method == "POST":
        given = request.form.get("answer", "")
        try:
            note = answer_note(request.form.get("note"))
        except ValidationError as invalid:
            note, error = None, "Your note: " + " ".join(invalid.messages)
        if error is not None:
            pass
        elif given not in ANSWERS:
            error = "Please choose one of the answers."
        else:
            service = current_app.extensions["canvass"].canvass
            try:
                service.dispatcher.answer(token, given, note, service.clock())
            except (InvalidLink, NotAllowedNow) as refused:
                return _done(token, str(refused), 409)
            if given == "share_now":
                flash("Thank you: your answer is recorded. You can upload the footage now.")
                return redirect(url_for(".upload", token=token))
            return _done(token, "Thank you: your answer is recorded.", 200)
    about = _context(token)
    if about is None and not _readable(token):
        return _done(token, BAD_LINK, 404)
    if about is not None and (stopped := _why_nothing_more(about)):
        return _done(token, stopped, 409)
    if about is None:
        pass  # a link of ours the read model has not caught up with: the plain form
    elif request.method == "GET" and about.get("answer") in ("share_now", "will_bring"):
        return redirect(url_for(".upload", token=token))
    elif request.method == "GET" and about.get("status") == "answered":
        return _done(token, "You have answered this request already. Thank you.", 200)
    page = render_template(
        "canvass/answer.html", token=token, choices=CHOICES, error=error, about=about
    )
    return page, 422 if error else 200


@bp.route("/requests/upload", methods=["GET", "POST"])
def upload() -> ResponseReturnValue:
    """The owner uploads footage for a request, from the emailed link or the request list."""
    token = request.values.get("token", "")
    values = request.form.to_dict()
    error = None
    status = 200
    if request.method == "POST":
        request.max_content_length = current_app.config["FOOTAGE_MAX_BYTES"]
        try:
            stored = _receive(token, values)
        except (FootageRejected, NotAllowedNow, InvalidLink) as refused:
            error, status = str(refused), 409 if isinstance(refused, NotAllowedNow) else 422
        else:
            return render_template(
                "canvass/upload_done.html", stored=stored, token=token, about=_context(token)
            )
    about = _context(token)
    if about is None and request.method == "GET" and not _readable(token):
        return _done(token, BAD_LINK, 404)
    if about is None or request.method == "POST":
        pass  # the refusal is said above the form
    elif stopped := _why_nothing_more(about):
        return _done(token, stopped, 409)
    elif about["answer"] in ("no_footage", "decline"):
        return _done(token, "You answered that you would not share footage for this request.", 409)
    page = render_template(
        "canvass/upload.html", token=token, values=values, error=error, about=about
    )
    return page, status


BAD_LINK = (
    "We could not read this link. Open it again from the email we sent you, or log in and "
    "choose Requests to see every request sent to you."
)
ENDED_HOW = {
    "closed": "The detectives closed this canvass on {}.",
    "cancelled": "The detectives called off this canvass on {}.",
    "expired": "This canvass expired on {}.",
}


def _context(token: str) -> dict[str, Any] | None:
    """What the link is about, with the window and dates in the service's time zone."""
    dispatcher = current_app.extensions["canvass"].canvass.dispatcher
    about: dict[str, Any] | None = dispatcher.context(token)
    if about is None:
        return None
    zone = dispatcher.zone
    start, end = about["window_start"].astimezone(zone), about["window_end"].astimezone(zone)
    same_day = start.date() == end.date()
    about["window"] = (
        f"{start:%A %d %B %Y, %H:%M} to {end:%H:%M} {end:%Z}"
        if same_day
        else f"{start:%A %d %B %Y, %H:%M %Z} to {end:%A %d %B %Y, %H:%M %Z}"
    )
    about["what"] = CATEGORY_NAMES.get(about["category"], "an incident")
    about["answered_on"] = _day(about["answered_at"], zone)
    about["expires_on"] = _day(about["expires_at"], zone)
    about["chosen"] = CHOICES.get(about["answer"] or "")
    return about


def _readable(token: str) -> bool:
    try:
        current_app.extensions["canvass"].canvass.dispatcher.links.read(ANSWER_REQUEST, token)
    except InvalidLink:
        return False
    return True


def _why_nothing_more(about: dict[str, Any]) -> str | None:
    """Why nothing more is asked of the owner: the canvass ended or the request expired."""
    dispatcher = current_app.extensions["canvass"].canvass.dispatcher
    if about["canvass_status"] in ENDED_HOW:
        when = _day(about["canvass_updated_at"], dispatcher.zone)
        return f"{ENDED_HOW[about['canvass_status']].format(when)} {CANVASS_ENDED}"
    now = current_app.extensions["canvass"].canvass.clock()
    if about["status"] == "expired" or (about["status"] == "sent" and now >= about["expires_at"]):
        return f"This request expired on {about['expires_on']}. Nothing more is needed from you."
    return None


def _done(token: str, message: str, status: int) -> ResponseReturnValue:
    """The page that says where the request stands, with what the owner answered and sent."""
    about = _context(token) if message != BAD_LINK else None
    page = render_template("canvass/answer_done.html", message=message, about=about, token=token)
    return page, status


def _day(moment: datetime | None, zone: tzinfo) -> str:
    return "" if moment is None else f"{moment.astimezone(zone):%d %B %Y}"


def _receive(token: str, values: dict[str, str]) -> StoredFootage:
    file = request.files.get("footage")
    if file is None or not file.filename:
        raise FootageRejected("Choose the video file to upload.")
    try:
        details = upload_details(values)
    except ValidationError as invalid:
        names = {"clock_offset_seconds": "The recorder's clock offset", "statement": "Your note"}
        raise FootageRejected(
            " ".join(
                f"{names.get(k, k)}: {' '.join(ms)}" for k, ms in invalid.messages_dict.items()
            )
        ) from None
    clock_offset = details.get("clock_offset_seconds")
    stream = file.stream
    services = current_app.extensions["canvass"]
    return services.footage.receive(  # type: ignore[no-any-return]
        token,
        iter(lambda: stream.read(1024 * 1024), b""),
        values.get("sha256", "").strip() or None,
        clock_offset,
        details.get("statement"),
        services.canvass.clock(),
    )
