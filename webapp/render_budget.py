"""What drawing posters, cards, sticker sheets and booklets may cost: a cache of what was
drawn, a few drawings at once per process, and an hourly budget per client. Drawing is the most
expensive thing a public client can ask for, so a flood of new posters must not take the
workers that serve the pages people are reading."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, make_response
from flask_babel import gettext as _
from werkzeug.exceptions import ServiceUnavailable

from webapp.errors import handle_http
from webapp.security import client_tag, limiter


def init_app(app: Flask) -> None:
    """This app's cache of drawings and its drawing slots."""
    app.extensions["haven_render_cache"] = RenderCache()
    app.extensions["haven_render_slots"] = threading.BoundedSemaphore(
        max(1, int(app.config.get("HAVEN_RENDERS_AT_ONCE", 1))))


class RenderCache:
    """Drawn posters and booklets by their normalised parameters, in this process's memory,
    least recently used first out, at most max_bytes in all. A repeat costs no CPU and no
    render budget; entries expire with the HTTP cache lifetime the response promises."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(*parts: str) -> str:
        """One key from the parts that decide the bytes."""
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()

    def get(self, key: str) -> bytes | None:
        """The stored bytes, or None when absent or expired."""
        with self._lock:
            held = self._items.get(key)
            if held is None:
                return None
            if held[1] <= time.monotonic():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return held[0]

    def put(self, key: str, body: bytes, ttl: float) -> None:
        """Keep body for ttl seconds (not at all when it alone exceeds a quarter of the cap)."""
        if len(body) > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (body, time.monotonic() + ttl)
            self._size += len(body)
            while self._size > self.max_bytes:
                self._drop(next(iter(self._items)))

    def _drop(self, key: str) -> None:
        body, _expires = self._items.pop(key)
        self._size -= len(body)


def render_cache() -> RenderCache:
    """This app's cache of drawn posters and booklets."""
    cache: RenderCache = current_app.extensions["haven_render_cache"]
    return cache


@contextmanager
def render_slot() -> Iterator[bool]:
    """Whether this process may draw now: at most HAVEN_RENDERS_AT_ONCE drawings run at once
    per process, so a flood of new posters cannot take every worker thread (and the pages
    people are reading with them). Never waits: a busy server says so at once."""
    slots: threading.BoundedSemaphore = current_app.extensions["haven_render_slots"]
    if not slots.acquire(blocking=False):
        yield False
        return
    try:
        yield True
    finally:
        slots.release()


class BusyDrawing(ServiceUnavailable):
    """Another poster or booklet is being drawn by this process."""

    def __init__(self) -> None:
        message = _("Another poster or booklet is being drawn. Please try again in a few "
                    "seconds.")
        super().__init__(message)
        self.haven_message = message


def busy_drawing() -> Response:
    """503 with Retry-After, never cached: the drawing can be asked again in a moment."""
    resp = make_response(handle_http(BusyDrawing()))
    resp.headers["Retry-After"] = "5"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def render_wait() -> float:
    """Count one poster, card, sticker sheet or booklet drawn for this client against the
    budget they share (HAVEN_RENDERS_PER_HOUR); 0 when allowed, else seconds to wait."""
    return limiter.hit("render", client_tag(), current_app.config["HAVEN_RENDERS_PER_HOUR"],
                       3600)
