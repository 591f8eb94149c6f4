"""When Python's cycle collector may run: never inside an app context (CPython 3.11).

CPython 3.11 can corrupt memory when an automatic collection starts while an object's
attribute dictionary is being built from its inline values (Objects/dictobject.c:
make_dict_from_instance_attributes allocates the dict, the allocation runs the collector, and
a weakref callback writes to that same object, freeing the values the new dict then uses).
SQLAlchemy's InstanceState is such an object: its weakref callback (_cleanup) writes to the
state when the collector frees the mapped object. On Haven this killed a worker with SIGSEGV
after a few hundred pages of /api/hsds/services?full=true over 100k services, and on the first
pages of /api/hsds/service_at_locations?full=true (tests/test_collector.py). Python 3.12
reworked that code and does not crash; Debian 12's 3.11.2 does.

So on 3.11 the automatic collector is off while an app context is pushed (every request,
every CLI command and every `with app.app_context()`: all ORM work happens inside one), and
what is due is collected when the last one is popped, or by a long job between its batches
(`paused()`), from Python code: an explicit `gc.collect()` never starts inside a dict being
built. Elsewhere this is a no-op.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, appcontext_popped, appcontext_pushed

AFFECTED = sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)

_lock = threading.Lock()
_working = 0  # app contexts and batches open in this process (gthread workers run several)
_was_enabled = True


def _begin() -> None:
    global _working, _was_enabled
    with _lock:
        if _working == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _working += 1


def _end() -> None:
    global _working
    with _lock:
        _working = max(0, _working - 1)
        if _working == 0 and _was_enabled:
            gc.enable()
    collect_due()


def collect_due() -> None:
    """Collect what the automatic collector would have by now (the youngest generations
    whose counts passed their thresholds). Called from Python code, so safe anywhere."""
    counts, limits = gc.get_count(), gc.get_threshold()
    if not limits[0] or counts[0] < limits[0]:
        return
    generation = 0
    if counts[1] >= limits[1]:
        generation = 2 if counts[2] >= limits[2] else 1
    gc.collect(generation)


@contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside the block on 3.11, and what is due collected after it
    even inside an app context (a long command's batches: a sync page, an export's 500)."""
    if not AFFECTED:
        yield
        return
    _begin()
    try:
        yield
    finally:
        _end()


def _pushed(_app: Any, **_extra: Any) -> None:
    _begin()


def _popped(_app: Any, **_extra: Any) -> None:
    _end()


def init_app(app: Flask) -> None:
    """On 3.11, pause the collector for each of this app's contexts (a request's is popped
    after its teardown, when the session is closed; a streamed body's when it is sent)."""
    if AFFECTED:
        appcontext_pushed.connect(_pushed, app, weak=False)
        appcontext_popped.connect(_popped, app, weak=False)
