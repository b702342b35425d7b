"""The scheduler's mail job, run at the moment a test's person would open their inbox."""

from __future__ import annotations

from flask import Flask


def deliver_mail(app: Flask) -> int:
    """Send what the outbox holds, as the `send-mail` job would within seconds; no request
    ever sends mail itself."""
    return int(app.extensions["canvass"].outbox.send_pending())
