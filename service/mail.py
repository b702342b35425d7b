"""Mail transports: real SMTP, or `.eml` files under `instance/outbox/` in development."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

from events_store.outbox import Delivery, MailTransport

log = logging.getLogger(__name__)


MESSAGE_ID_DOMAIN = "canvass.invalid"


def message_id_header(message_id: str) -> str:
    """The Message-ID of an outbox message: the same for every attempt to send it, so that a
    copy sent again after a crash is recognisable as the same message."""
    return f"<{message_id}@{MESSAGE_ID_DOMAIN}>"


def compose(delivery: Delivery, sender: str) -> EmailMessage:
    """A plain-text email for a delivery."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = delivery.recipient
    message["Subject"] = delivery.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id_header(delivery.message_id)
    message.set_content(delivery.body)
    return message


class SMTPTransport:
    """Hands each message to an SMTP server (STARTTLS or TLS when configured), with one TLS
    context for every connection: building one loads the system's trust store."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        security: str = "none",
        timeout: float = 30.0,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError("SMTP_SECURITY must be none, starttls or tls")
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.security = username, password, security
        self.timeout = timeout
        self._tls = ssl.create_default_context() if security != "none" else None

    def send(self, delivery: Delivery) -> None:
        message = compose(delivery, self.sender)
        context = self._tls
        if self.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)
        log.info("sent message %s by SMTP: %s", delivery.message_id, delivery.subject)


class FileTransport:
    """Writes each message as an .eml file, for development without a mail server."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    def send(self, delivery: Delivery) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{delivery.message_id}.eml"
        path.write_bytes(bytes(compose(delivery, self.sender)))
        log.info("wrote message %s to %s: %s", delivery.message_id, path.name, delivery.subject)


def transport_from_settings(config: Mapping[str, Any], instance_path: str) -> MailTransport:
    """SMTP when SMTP_HOST is set, otherwise files in the instance folder."""
    sender = config["MAIL_FROM"]
    if config.get("SMTP_HOST"):
        return SMTPTransport(
            config["SMTP_HOST"],
            int(config.get("SMTP_PORT") or 25),
            sender,
            config.get("SMTP_USERNAME"),
            config.get("SMTP_PASSWORD"),
            config.get("SMTP_SECURITY") or "none",
        )
    return FileTransport(Path(instance_path) / "outbox", sender)
