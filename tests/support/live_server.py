"""The service on a loopback port, for clients that speak real HTTP: browsers and fuzzers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from waitress.server import create_server

from tests.smtp import free_port


@contextmanager
def serving(app: Flask, threads: int = 4) -> Iterator[str]:
    """Serve `app` with waitress in a thread until the block ends; yields its base URL, which
    the links in its emails point to as well."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app.extensions["canvass"].accounts.public_url = base_url
    server = create_server(app, host="127.0.0.1", port=port, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.close()
        thread.join(timeout=10)
