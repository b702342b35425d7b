"""The owner's answer page, reached from the emailed link without logging in."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from accounts.auth import current_user, page_allows
from accounts.errors import InvalidLink
from accounts.links import ANSWER_REQUEST

from .errors import NotAllowedNow
from .footage import FootageRejected, StoredFootage
from .policy import CATEGORY_NAMES
from .projection import canvasses, requests
from .requests import ANSWERS, CANVASS_ENDED
from .schemas import answer_note, upload_details

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
        sa.select(
            requests,
            canvasses.c.agency,
            canvasses.c.case_number,
            canvasses.c.category,
            canvasses.c.window_start,
            canvasses.c.window_end,
            canvasses.c.status.label("canvass_status"),
        )
        .select_from(requests.join(canvasses, canvasses.c.canvass_id == requests.c.canvass_id))
        .where(requests.c.owner_id == user.user_id)
        .order_by(requests.c.sent_at.desc())
    )
    with services.engine.connect().execution_options(read_only=True) as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
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
    return render_template(
        "canvass/report.html",
        canvass=canvass,
        found=service.candidates(user, canvass_id),
        answers=service.requests(user, canvass_id),
        files=services.footage.listing(canvass_id),
        visits=service.visits(user, canvass_id),
        names=CATEGORY_NAMES,
        printed_at=service.clock(),
    )


@bp.route("/requests/answer", methods=["GET", "POST"])
def answer() -> ResponseReturnValue:
    """Show the request's choices, and record the owner's answer once."""
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
                return render_template("canvass/answer_done.html", message=str(refused)), 409
            if given == "share_now":
                flash("Thank you: your answer is recorded. You can upload the footage now.")
                return redirect(url_for(".upload", token=token))
            return render_template(
                "canvass/answer_done.html", message="Thank you: your answer is recorded."
            )
    ended = _ended_message(token)
    if ended:
        return render_template("canvass/answer_done.html", message=ended), 409
    page = render_template("canvass/answer.html", token=token, choices=CHOICES, error=error)
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
            return render_template("canvass/upload_done.html", stored=stored, token=token)
    elif ended := _ended_message(token):
        error, status = ended, 409
    page = render_template("canvass/upload.html", token=token, values=values, error=error)
    return page, status


def _ended_message(token: str) -> str | None:
    """The plain refusal when the request's canvass has ended; None while it runs (or when
    the link is not one of ours: that is said when the owner acts on it)."""
    dispatcher = current_app.extensions["canvass"].canvass.dispatcher
    try:
        request_id = dispatcher.links.read(ANSWER_REQUEST, token).user_id
    except InvalidLink:
        return None
    return CANVASS_ENDED if dispatcher.canvass_ended(request_id) else None


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
