"""When Python's cycle collector may run: between requests, never inside one (CPython 3.11).

CPython 3.11 can corrupt memory when an automatic collection starts while an object's
attribute dictionary is being built from its inline values (Objects/dictobject.c,
make_dict_from_instance_attributes allocates the dict, the allocation runs the collector, and
a weakref callback writes to the same object). SQLAlchemy's InstanceState is such an object:
its weakref callback (_cleanup) writes to the state when the collector frees the mapped
object. On Haven this killed a worker with SIGSEGV after a few hundred pages of
/api/hsds/services?full=true over 100k services, and on the first pages of
/api/hsds/service_at_locations?full=true (tests/test_collector.py). Python 3.12 reworked that
code and does not crash.

So on 3.11 the automatic collector is off while a request (or a CLI batch) works, and the
cycles it made are collected afterwards, from a point where no dictionary is half-built:
`gc.collect()` called from Python code is always such a point. Elsewhere this is a no-op.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

AFFECTED = sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)

_lock = threading.Lock()
_working = 0  # requests or batches under way in this process (gthread workers run several)
_was_enabled = True


def _begin() -> None:
    global _working, _was_enabled
    with _lock:
        if _working == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _working += 1


def _end(collect: bool = True) -> None:
    global _working
    with _lock:
        _working -= 1
        if _working:
            return
        if _was_enabled:
            gc.enable()
    if collect:
        collect_due()


def collect_due() -> None:
    """Collect what the automatic collector would have by now (the youngest generations
    whose counts passed their thresholds), from a safe point."""
    counts, limits = gc.get_count(), gc.get_threshold()
    if not limits[0] or counts[0] < limits[0]:
        return
    generation = 0
    if counts[1] >= limits[1]:
        generation = 2 if counts[2] >= limits[2] else 1
    gc.collect(generation)


@contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside the block on 3.11; what is due is collected after."""
    if not AFFECTED:
        yield
        return
    _begin()
    try:
        yield
    finally:
        _end()


class BetweenRequests:
    """WSGI middleware: on 3.11, the collector is paused from the start of a request until
    its body has been sent (a streamed body works with the database while it is sent)."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Pause, answer, and resume when the server closes the body."""
        _begin()
        try:
            body = self.wsgi_app(environ, start_response)
        except BaseException:
            _end()
            raise
        return _Body(body)


class _Body:
    """A response body that resumes the collector once: when the server closes it, when it
    has been read to the end (a test client reads it and may never close it), or when it is
    dropped."""

    def __init__(self, body: Iterable[bytes]) -> None:
        self._body = body
        self._chunks = iter(body)
        self._open = True

    def __iter__(self) -> _Body:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self._resume()
            raise

    def close(self) -> None:
        """Close the wrapped body (Flask's teardown runs here), then resume."""
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._resume()

    def __del__(self) -> None:
        # Dropped unread and unclosed (a test that looks at the status only): resume, but
        # collect nothing from here, which may be any point of the program.
        if self._open:
            self._open = False
            _end(collect=False)

    def _resume(self) -> None:
        if self._open:
            self._open = False
            _end()


def init_app(app: Any) -> None:
    """Wrap the app's WSGI callable on 3.11 (outermost, so the whole request is covered)."""
    if AFFECTED:
        app.wsgi_app = BetweenRequests(app.wsgi_app)
