"""The headers every answer carries, so a browser runs only the service's own scripts, never
shows its pages inside another site, never tells other sites which link was followed, and
never keeps a copy of a page or an answer that may hold personal data."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

# Library files and the basemap hold nothing personal: they keep the caching they are sent with.
STATIC_ENDPOINTS = frozenset({"static", "assets.asset", "assets.basemap"})
# No inline script, style element or style attribute: every page's look is in site.css.
POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:{tiles}",
    "font-src 'self'",
    "connect-src 'self'{tiles}",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)


def init_app(app: Flask) -> None:
    """Set the headers on every response the application makes, errors included."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """The after-request hook: the content policy, framing, sniffing, referrer, HSTS, caching."""
    config = current_app.config
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(config.get("MAP_TILE_URL"))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    hsts_seconds = int(config.get("HSTS_SECONDS", 0) or 0)
    if hsts_seconds > 0:
        headers["Strict-Transport-Security"] = f"max-age={hsts_seconds}"
    if request.endpoint not in STATIC_ENDPOINTS:
        headers["Cache-Control"] = "no-store"
    return response


@lru_cache(maxsize=8)
def content_security_policy(tile_url: str | None) -> str:
    """The policy: only the service itself, and the city's tile server when one is set."""
    tiles = f" {tile_source(tile_url)}" if tile_url else ""
    return "; ".join(directive.format(tiles=tiles) for directive in POLICY)


def tile_source(tile_url: str) -> str:
    """The tile server as a CSP source: its origin, `{s}` subdomains as a `*.` wildcard (a
    host the policy cannot name, such as one with a placeholder inside, as its whole scheme)."""
    parts = urlsplit(tile_url)
    labels = (parts.hostname or "").split(".")
    wildcard = ["*"] if "{" in labels[0] else []
    named = labels[len(wildcard) :]
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return f"{parts.scheme}:"
    if not all(_plain_label(label) for label in named):
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{'.'.join(wildcard + named)}{port}"


def _plain_label(label: str) -> bool:
    return label != "" and all(c.isascii() and (c.isalnum() or c == "-") for c in label)
