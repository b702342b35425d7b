"""A service in San Francisco's time zone, and what people find in their inbox from it."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from flask import Flask

PUBLIC_URL = "https://canvass.sf.example"


def pacific_app(database_url: str, smtp_port: int, **settings: Any) -> Flask:
    """The service as San Francisco runs it: Pacific time, links at its public address,
    mail to the test SMTP server (its instance folder as CANVASS_INSTANCE_PATH says)."""
    from service import create_app

    return create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_port,
            "TIME_ZONE": "America/Los_Angeles",
            "PUBLIC_URL": PUBLIC_URL,
            **settings,
        }
    )


def inbox(mailbox: Any, address: str, subject: str) -> list[EmailMessage]:
    """The messages with this subject that reached this address, oldest first."""
    return [m for m in mailbox.to(address) if m["Subject"] == subject]


def texts(messages: list[EmailMessage]) -> list[str]:
    """The plain text of each message, as its reader sees it."""
    return [m.get_content() for m in messages]
