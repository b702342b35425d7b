"""Mail transports: real SMTP, or `.eml` files under `instance/outbox/` in development."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
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


_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class FileTransport:
    """Writes each message as an .eml file, for development without a mail server.

    A message about a person goes to `<directory>/<subject id>/<message id>.eml`, so erasing
    the person deletes one folder, found by their pseudonymous id alone; a message about
    nobody goes to `<directory>/<message id>.eml`. Files are 0600 and folders 0700 whatever
    the umask: the files hold names and addresses in clear.
    """

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    def send(self, delivery: Delivery) -> None:
        folder = _private_folder(self.directory)
        if delivery.subject_id is not None:
            folder = _private_folder(self.folder_of(delivery.subject_id))
        path = folder / f"{_file_name(delivery.message_id)}.eml"
        _write_private(path, bytes(compose(delivery, self.sender)))
        log.info("wrote message %s to %s: %s", delivery.message_id, path.name, delivery.subject)

    def folder_of(self, subject_id: str) -> Path:
        """Where the messages about a subject are written."""
        return self.directory / _file_name(subject_id)

    def forget_subject(self, subject_id: str) -> None:
        """Delete every message written about the subject (part of erasing them)."""
        folder = self.folder_of(subject_id)
        if folder.exists():
            shutil.rmtree(folder)


def _file_name(identifier: str) -> str:
    """An id as a file name: itself when it is plainly safe, else a digest of it."""
    if _SAFE_NAME.match(identifier):
        return identifier
    return hashlib.sha256(identifier.encode()).hexdigest()[:32]


def _private_folder(folder: Path) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # mkdir's mode is narrowed by the umask, and an old folder kept its
    return folder


def _write_private(path: Path, content: bytes) -> None:
    """Write a file only its owner can read, whole or not at all."""
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file left from before keeps its mode otherwise
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    os.replace(partial, path)


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
