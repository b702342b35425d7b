"""A real SMTP server on the loopback for tests, collecting what it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    """Receives messages over SMTP and keeps them in order."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Try again later"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, recipient: str) -> list[EmailMessage]:
        """Messages addressed to `recipient`."""
        with self._lock:
            return [m for m in self.messages if m["To"] == recipient]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SMTPServer:
    """Starts and stops an aiosmtpd controller around a Mailbox; stopped, it refuses
    connections, as a mail server that is down would, and it starts again on the same port."""

    def __init__(self, **options: Any) -> None:
        """`options` go to aiosmtpd: `tls_context` offers STARTTLS, `ssl_context` speaks TLS
        from the first byte."""
        self.mailbox = Mailbox()
        self.port = free_port()
        self._options = options
        self._controller: Controller | None = None

    def start(self) -> SMTPServer:
        """Accept mail (again) on the same port."""
        self._controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, **self._options
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop accepting connections; what was received stays in the mailbox."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
