"""Faults a test can inflict on the service's database: dropped connections, a server gone."""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid

import psycopg
from sqlalchemy.engine import make_url

from tests.databases import postgres_url
from tests.smtp import free_port


def named_connections(url: str, prefix: str = "faults") -> tuple[str, str]:
    """`url` with an application name of its own, so the test can find its connections on
    the server; returns (URL, name)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    named = make_url(url).update_query_dict({"application_name": name})
    return named.render_as_string(hide_password=False), name


def terminate_connections(application_name: str) -> int:
    """Have the server end every connection of `application_name`; return how many."""
    base = make_url(postgres_url()).set(drivername="postgresql")
    with psycopg.connect(base.render_as_string(hide_password=False), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = %s AND pid <> pg_backend_pid()",
            (application_name,),
        ).fetchall()
    return sum(1 for (ended,) in rows if ended)


class DatabaseProxy:
    """A TCP relay on the loopback in front of PostgreSQL that a test can cut and restore.

    Cut, it closes every relayed connection and refuses new ones, as a server that went
    down would; restored, it listens on the same port again.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._sockets: set[socket.socket] = set()
        self._guard = threading.Lock()
        self._listener: socket.socket | None = None

    def url_for(self, url: str) -> str:
        """`url` pointed at this relay instead of the server."""
        relayed = make_url(url).set(host="127.0.0.1", port=self.port)
        return relayed.render_as_string(hide_password=False)

    def start(self) -> DatabaseProxy:
        """Listen and relay (again)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def cut(self) -> None:
        """Drop every relayed connection and stop listening."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._guard:
            sockets, self._sockets = self._sockets, set()
        for each in sockets:
            with contextlib.suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)
            each.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._guard:
                self._sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)
        with self._guard:
            self._sockets.discard(source)
        source.close()
