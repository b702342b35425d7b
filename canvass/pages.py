"""The owner's answer page, reached from the emailed link without logging in."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from accounts.errors import InvalidLink

from .errors import NotAllowedNow
from .requests import ANSWERS

bp = Blueprint("request_pages", __name__, template_folder="templates")

CHOICES = {
    "share_now": "I have footage and will upload it (we will send you how)",
    "will_bring": "I have footage and will bring or send it myself",
    "no_footage": "My cameras did not record anything useful",
    "decline": "I prefer not to help with this request",
}


@bp.route("/requests/answer", methods=["GET", "POST"])
def answer() -> ResponseReturnValue:
    """Show the request's choices, and record the owner's answer once."""
    token = request.values.get("token", "")
    error = None
    if request.method == "POST":
        given = request.form.get("answer", "")
        if given not in ANSWERS:
            error = "Please choose one of the answers."
        else:
            service = current_app.extensions["canvass"].canvass
            try:
                service.dispatcher.answer(token, given, request.form.get("note"), service.clock())
            except (InvalidLink, NotAllowedNow) as refused:
                return render_template("canvass/answer_done.html", message=str(refused)), 409
            return render_template(
                "canvass/answer_done.html", message="Thank you: your answer is recorded."
            )
    page = render_template("canvass/answer.html", token=token, choices=CHOICES, error=error)
    return page, 422 if error else 200
