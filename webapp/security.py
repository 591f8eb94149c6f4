"""Response headers, the no-IP middleware and logging that never records a client."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request

# Headers that identify a client or its device. They are removed before Flask sees a request,
# so no code path (logging, error reports, extensions) can store them (see #3, item 5).
IDENTIFYING_ENVIRON_KEYS = (
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "REMOTE_HOST",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "HTTP_X_CLIENT_IP",
    "HTTP_CLIENT_IP",
    "HTTP_TRUE_CLIENT_IP",
    "HTTP_CF_CONNECTING_IP",
    "HTTP_X_CLUSTER_CLIENT_IP",
    "HTTP_FASTLY_CLIENT_IP",
    "HTTP_VIA",
    "HTTP_USER_AGENT",
    "HTTP_SEC_CH_UA",
    "HTTP_SEC_CH_UA_MOBILE",
    "HTTP_SEC_CH_UA_PLATFORM",
    "HTTP_FROM",
)

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

PERMISSIONS_POLICY = ", ".join(
    [
        "geolocation=(self)",
        "camera=()",
        "microphone=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "bluetooth=()",
        "hid=()",
        "midi=()",
        "magnetometer=()",
        "gyroscope=()",
        "accelerometer=()",
        "ambient-light-sensor=()",
        "display-capture=()",
        "screen-wake-lock=()",
        "publickey-credentials-get=()",
        "browsing-topics=()",
        "interest-cohort=()",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Permitted-Cross-Domain-Policies": "none",
}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class StripClientIdentity:
    """WSGI middleware: the app never sees the client's address or user agent."""

    def __init__(self, wsgi_app: WSGIApp) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Blank every identifying key, then hand over to the app."""
        for key in IDENTIFYING_ENVIRON_KEYS:
            environ.pop(key, None)
        # Werkzeug and some extensions expect REMOTE_ADDR to exist; give them nothing real.
        environ["REMOTE_ADDR"] = "0.0.0.0"  # noqa: S104 - a placeholder, never a bind address
        return self.wsgi_app(environ, start_response)


def apply_headers(response: Response) -> Response:
    """Set the security headers on every response, error pages included."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith(("/staff", "/api/private")):
        response.headers["Cache-Control"] = "no-store"
    if request.path == "/":
        response.vary.add("Accept-Language")
    return response


def quiet_logging() -> None:
    """Keep werkzeug's per-request access log (which names the client address) off."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    """Wrap the WSGI app and register the header hook."""
    app.wsgi_app = StripClientIdentity(app.wsgi_app)  # type: ignore[method-assign]
    app.after_request(apply_headers)
    quiet_logging()
