"""What the servers write about requests: never the client's address, never a path as sent.

A path can carry a secret (an SMS provider's path key, a shelter's space-update link, a staff
invitation), so requests are logged by the route they matched (`/sms/africastalking/<key>`),
and a request that matched none, or could not be read at all, by its status only. Used by the
development server (`python app.py`) and by gunicorn (`deploy/gunicorn.conf.py`).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from gunicorn import glogging
from werkzeug.serving import WSGIRequestHandler

from webapp.security import ROUTE_KEY

_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])")
_IPV6 = re.compile(r"(?i)(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%\w+)?(?![\w:])")
_PATH = re.compile(r"(?<=[\s'\"(=])/[^\s'\"]*")
_INVALID = re.compile(r"^Invalid request from ip=\S*: ([^:'\"]*).*$", re.DOTALL)


def scrub(text: str, paths: bool = True) -> str:
    """A log line without addresses or request paths: gunicorn's "Invalid request from ip=…:
    Invalid HTTP request line: '…'" becomes "Invalid request: Invalid HTTP request line" (the
    rest echoes what the client sent: a path, a header, a cookie). paths=False keeps paths,
    for a traceback (its paths are the code's files)."""
    text = _INVALID.sub(lambda m: "Invalid request: " + m.group(1).strip(), text)
    text = _IPV4.sub("[address]", text)
    text = _IPV6.sub("[address]", text)
    return _PATH.sub("/[path]", text) if paths else text


class _Scrubbed(logging.Filter):
    """Every record of a logger scrubbed, whatever its level or the method that wrote it
    (the traceback is kept: it names code, not clients)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the message with its scrubbed text; keep the record."""
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = " ".join([str(record.msg), *map(str, record.args or ())])
        record.msg, record.args = scrub(text), ()
        return True


_SCRUBBED = _Scrubbed()


class GunicornLogger(glogging.Logger):
    """gunicorn's error log, each message scrubbed (gunicorn writes the client address at
    warning level, e.g. for a malformed request, and the request URI when a worker fails)."""

    def setup(self, cfg: Any) -> None:
        """As gunicorn's, with the error log's records scrubbed (one filter, however often
        gunicorn sets the log up again)."""
        super().setup(cfg)
        self.error_log.addFilter(_SCRUBBED)


class DevRequestHandler(WSGIRequestHandler):
    """The development server's log: method, route pattern and status; no address."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request: `GET /<lang>/services/<service_id> 200`."""
        command = getattr(self, "command", "")
        if not command:  # the request could not be read: log_error said so already
            return
        environ = getattr(self, "environ", None) or {}
        route = environ.get(ROUTE_KEY) or "(no route)"
        self._write(f"{command} {route} {code}")

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """A request the server could not read: its status, not what the client sent."""
        code = args[0] if args and isinstance(args[0], int) else ""
        self._write(f"Invalid request {code}".rstrip())

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Anything else the server says, scrubbed."""
        try:
            text = format % args
        except (TypeError, ValueError):
            text = format
        self._write(scrub(text))

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002
        """Werkzeug's own messages (e.g. a failed request's traceback), without the address."""
        try:
            text = message % args
        except (TypeError, ValueError):
            text = message
        self._write(scrub(text, paths=False))

    @staticmethod
    def _write(line: str) -> None:
        sys.stderr.write(line + "\n")
