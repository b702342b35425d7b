"""One logging configuration, a request id on every line, and one access line per request.

Log lines name paths without query strings and never carry request bodies, so no personal
data reaches the logs through them; a control character in anything logged (a path holding
`%0a`, say) is written escaped, so nothing a client sends can forge a line of the log.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
# C0 controls, DEL, C1 controls and the Unicode line and paragraph separators: each one could
# end a line, or move the cursor, in some reader of the log.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

access_log = logging.getLogger("service.access")


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was logged in, or '-'."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(level: str) -> None:
    """Install the service's handler on the root logger, once per process."""
    root = logging.getLogger()
    if not any(isinstance(h, _ServiceHandler) for h in root.handlers):
        handler = _ServiceHandler()
        handler.setFormatter(OneLineFormatter(_FORMAT))
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    root.setLevel(level.upper())
    # Every run of every job would be a line: the jobs log what they did themselves.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))


def escaped(text: str) -> str:
    """`text` on one line: every control character written as its Python escape."""
    return _CONTROL.sub(lambda found: _NAMED.get(found[0]) or _escape(found[0]), text)


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class OneLineFormatter(logging.Formatter):
    """Writes each record's line with its control characters escaped; a traceback keeps its
    lines, each indented, so no line of one can pass for a record of its own."""

    def format(self, record: logging.LogRecord) -> str:
        # Formatted afresh, never from the traceback text another handler may have cached.
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        lines = [escaped(self.formatMessage(record))]
        if record.exc_info:
            lines.append(_indented(self.formatException(record.exc_info)))
        elif record.exc_text:
            lines.append(_indented(record.exc_text))
        if record.stack_info:
            lines.append(_indented(self.formatStack(record.stack_info)))
        return "\n".join(lines)


def _indented(text: str) -> str:
    return "\n".join("    " + escaped(line) for line in text.splitlines())


class _ServiceHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler this module installs (a class of its own to find it again)."""


def init_app(app: Flask) -> None:
    """Give every request an id, echo it back, and log one line when it ends."""
    configure_logging(app.config["LOG_LEVEL"])

    @app.before_request
    def assign_request_id() -> None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _ACCEPTABLE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "-")
        elapsed_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1e3
        access_log.info(
            "%s %s %s %.1fms", request.method, request.path, response.status_code, elapsed_ms
        )
        return response
