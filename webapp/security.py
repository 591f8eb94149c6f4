"""Response headers, the no-IP middleware and logging that never records a client."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge, SecurityError
from werkzeug.wsgi import get_host

from webapp import state
from webapp.errors import too_many
from webapp.state import SharedState, StateUnavailable

# Headers that identify a client or its device. They are removed before Flask sees a request,
# so no code path (logging, error reports, extensions) can store them.
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
    # Nothing to other sites; Haven's own pages get the referrer, so a form POST carries its
    # real Origin (under no-referrer a browser sends "Origin: null", which any sandboxed frame
    # on another site can send too).
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Permitted-Cross-Domain-Policies": "none",
}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


CLIENT_TAG = "haven.client_tag"


class RotatingTagger:
    """Keyed hash of a client address under a random key that changes every hour.

    The key is random, lives only in the shared state (webapp/state.py: this process's memory,
    or Redis with a TTL) and is replaced, never kept, so yesterday's tags cannot be recomputed
    from anything. The first process to need a period's key makes
    it; the others read it. Only rate limiting uses the tag.
    """

    REFRESH = 60.0  # seconds a process reuses the key it read before asking the store again

    def __init__(self, state: SharedState, period: float = 3600.0) -> None:
        self.state = state
        self.period = period
        self._cached: tuple[int, float, bytes] = (-1, 0.0, b"")
        self._lock = threading.Lock()

    def epoch(self) -> int:
        """Which key period we are in."""
        return int(time.time() // self.period)

    def key(self) -> bytes:
        """This period's key (made by whichever process needs it first)."""
        now = self.epoch()
        with self._lock:
            epoch, fetched, key = self._cached
            if epoch == now and time.monotonic() - fetched < self.REFRESH:
                return key
        key = self.state.add(f"tagkey:{now}", secrets.token_bytes(32), self.period * 2)
        with self._lock:
            self._cached = (now, time.monotonic(), key)
        return key

    def tag(self, address: str) -> str:
        """A short opaque tag for an address, stable within the hour."""
        return hmac.new(self.key(), address.encode(), hashlib.blake2b).hexdigest()[:32]


class RateLimiter:
    """Moving-window counts per (purpose, client tag) in the app's shared state (memory or
    Redis through the `limits` library), never on disk, never keyed by an address."""

    def hit(self, purpose: str, tag: str, limit: int, window: float) -> float:
        """Count one event; returns 0 when allowed, else seconds until the next is allowed."""
        return state.current().hit(purpose, tag, limit, window)

    def blocked(self, purpose: str, tag: str, limit: int, window: float) -> bool:
        """Whether this client has used up its allowance (without counting a new event)."""
        return state.current().blocked(purpose, tag, limit, window)


limiter = RateLimiter()

# What a public POST may cost before a view reads it (see cost_before_work). Bodies are capped
# per endpoint, chunked ones included: werkzeug enforces request.max_content_length on a stream
# without Content-Length too. Only the tip form carries photos (3 x 10 MB).
PUBLIC_BODY_BYTES = {"tips.submit": 31 * 1024 * 1024, "tips.reply": 11 * 1024 * 1024}
FORM_BYTES = 256 * 1024  # any other public form: a few fields of text
MAX_FORM_FIELDS = 64  # the tip form has about 20; a flood of fields costs parse time
UNCOUNTED_PREFIXES = ("/staff", "/sms")  # staff sign in; SMS providers post for many senders


def cost_before_work() -> Response | None:
    """An app before_request for public POSTs: count the post against the client's hourly
    allowance and cap its body and its number of fields, before anything parses it. A refused
    post (a bad form, a bad photo, a cross-site one) has cost the server as much as an accepted
    one, so it counts as much."""
    if request.method != "POST" or request.path.startswith(UNCOUNTED_PREFIXES):
        return None
    wait = limiter.hit("post", client_tag(), current_app.config["HAVEN_POSTS_PER_HOUR"], 3600)
    if wait:
        return too_many(wait)
    cap = PUBLIC_BODY_BYTES.get(request.endpoint or "", FORM_BYTES)
    limit_body(min(cap, current_app.config["MAX_CONTENT_LENGTH"] or cap), MAX_FORM_FIELDS)
    return None


def limit_body(max_bytes: int, max_fields: int, read: bool = False) -> None:
    """Cap this request's body (sized or chunked) and its form fields; 413 when over. With
    read, or for an urlencoded form, the body is read now (at most max_bytes + 1 bytes)."""
    if (request.content_length or 0) > max_bytes:
        raise RequestEntityTooLarge
    # One byte over the cap may be read, to tell a body of exactly max_bytes from a longer
    # chunked one: werkzeug's get_data stops silently at the limit, its form parser raises.
    request.max_content_length = max_bytes + 1
    request.max_form_parts = max_fields
    urlencoded = request.mimetype == "application/x-www-form-urlencoded"
    if read or urlencoded:
        body = request.get_data(cache=True)
        if len(body) > max_bytes:
            raise RequestEntityTooLarge
        # werkzeug counts the parts of a multipart body only; an urlencoded one's fields are
        # counted here, before anything parses them.
        if urlencoded and body.count(b"&") >= max_fields:
            raise RequestEntityTooLarge


def same_origin_posts_only() -> None:
    """Refuse a POST that a page on another site made a browser send (public forms carry no
    CSRF cookie): a blueprint's before_request."""
    if request.method != "POST":
        return
    origin = request.headers.get("Origin")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site == "cross-site":
        abort(403)
    if origin == "null":
        # An opaque origin: a sandboxed frame, a data: page, a redirect from elsewhere. Haven's
        # own forms send their origin (Referrer-Policy same-origin), so only a browser that
        # vouches for the request being same-origin may post without one.
        if fetch_site != "same-origin":
            abort(403)
    elif origin and urlsplit(origin).netloc != request.host:
        abort(403)


def client_tag() -> str:
    """This request's rotating client tag ('' when the server gave no address)."""
    return str(request.environ.get(CLIENT_TAG, ""))


class StripClientIdentity:
    """WSGI middleware: the app never sees the client's address or user agent."""

    def __init__(self, wsgi_app: WSGIApp, tagger: RotatingTagger, proxy_header: str = "") -> None:
        self.wsgi_app = wsgi_app
        self.tagger = tagger
        # Behind a reverse proxy the client is the last hop the proxy appended.
        self.proxy_key = ("HTTP_" + proxy_header.upper().replace("-", "_")) if proxy_header else ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Tag the client for rate limiting, blank every identifying key, hand over."""
        address = environ.get("REMOTE_ADDR", "")
        if self.proxy_key and environ.get(self.proxy_key):
            address = str(environ[self.proxy_key]).split(",")[-1].strip()
        try:
            environ[CLIENT_TAG] = self.tagger.tag(address) if address else ""
        except StateUnavailable:  # pages that count nothing still answer; limits answer 503
            environ[CLIENT_TAG] = ""
        for key in IDENTIFYING_ENVIRON_KEYS:
            environ.pop(key, None)
        # Werkzeug and some extensions expect REMOTE_ADDR to exist; give them nothing real.
        environ["REMOTE_ADDR"] = "0.0.0.0"  # noqa: S104 - a placeholder, never a bind address
        return self.wsgi_app(environ, start_response)


class KnownHostsOnly:
    """WSGI middleware: a request naming a host the site does not answer to (TRUSTED_HOSTS)
    gets a short 400 before Flask builds anything from that name (no route, no URL, no
    template: they would all carry the host the client chose)."""

    BODY = (b"<!doctype html><meta charset=utf-8><title>400</title>"
            b"<p>This site does not answer to that address.</p>")

    def __init__(self, wsgi_app: WSGIApp, config: Mapping[str, Any]) -> None:
        self.wsgi_app = wsgi_app
        self.config = config

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Answer 400 for an unknown host, else hand over."""
        trusted = self.config.get("TRUSTED_HOSTS")
        if trusted:
            try:
                get_host(environ, trusted)
            except SecurityError:
                headers = [*SECURITY_HEADERS.items(), ("Cache-Control", "no-store"),
                           ("Content-Type", "text/html; charset=utf-8"),
                           ("Content-Length", str(len(self.BODY)))]
                start_response("400 Bad Request", headers)
                return [self.BODY]
        return self.wsgi_app(environ, start_response)


# Staff pages, tip receipts and the tip thread are never kept by any cache.
NO_STORE_PREFIXES = ("/staff", "/api/private")


# Where a request's route pattern is left for the server's log (webapp/requestlog.py), which
# must not write the path as sent: it can carry a secret.
ROUTE_KEY = "haven.route"


def apply_headers(response: Response) -> Response:
    """Set the security headers on every response, error pages included."""
    request.environ[ROUTE_KEY] = request.url_rule.rule if request.url_rule else ""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith(NO_STORE_PREFIXES) or "/tip/" in request.path:
        response.headers["Cache-Control"] = "no-store"
    if request.path == "/":
        response.vary.add("Accept-Language")
    return response


def quiet_logging() -> None:
    """Keep werkzeug's per-request access log (which names the client address) off."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


# Names the machine itself uses (health checks, a proxy on the same host): always answered.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


def trusted_hosts(public_url: str, listed: str) -> list[str] | None:
    """The host names this site answers to: HAVEN_PUBLIC_URL's, those in HAVEN_TRUSTED_HOSTS
    (comma-separated; ".example.org" takes its subdomains) and loopback. None, meaning any,
    only when neither setting is given (a laptop running `python app.py`): once a site has a
    public address, a request naming another host is refused with 400 before any route runs,
    so no page, redirect or link can be built from a host a client chose."""
    names = [n.strip().lower() for n in listed.split(",") if n.strip()]
    public = urlsplit(public_url.strip()).hostname if public_url.strip() else None
    if public:
        names.insert(0, public.lower())
    if not names:
        return None
    return list(dict.fromkeys([*names, *LOOPBACK_HOSTS]))


def init_app(app: Flask) -> None:
    """Wrap the WSGI app and register the header hook."""
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = trusted_hosts(
            str(app.config.get("HAVEN_PUBLIC_URL") or ""),
            str(app.config.get("HAVEN_TRUSTED_HOSTS") or ""))
    shared = state.init_app(app)
    tagger = app.extensions["haven_tagger"] = RotatingTagger(shared)
    app.wsgi_app = KnownHostsOnly(StripClientIdentity(  # type: ignore[method-assign]
        app.wsgi_app, tagger, app.config.get("HAVEN_PROXY_HEADER", "")), app.config)
    app.before_request(cost_before_work)
    app.after_request(apply_headers)
    quiet_logging()
