"""The in-memory search index kept on disk, so a worker starts by loading it instead of
reading the whole directory (serving within seconds of start at 100k).

The file sits next to an SQLite database (`haven.sqlite3.search-index`), or in the instance
folder for PostgreSQL (one per database URL; HAVEN_SEARCH_INDEX_DIR moves it). It holds one
index as of a change (epoch, seq): a worker loads it when the epoch is the database's, then
applies the logged changes after it like any worker would (memindex.current); a pruned log
or another epoch means a build, as before. The file is authenticated with the app's secret
key (HMAC-SHA256) before it is unpickled, and written atomically; one that fails either
check is ignored. It holds only what the index holds: ids, names for ordering, tokens.
Beside it, the same way, the offline areas' cut (pwa/areas.py: which area each service is in,
and its town, region and public point), which takes 21 s to make again at a million services.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import os
import pickle  # noqa: S403 - only a file whose HMAC under the secret key checks out
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app

from webapp.extensions import db

if TYPE_CHECKING:
    from webapp.search.memindex import MemIndex

MAGIC = b"HAVEN-INDEX-4\n"  # bump when MemIndex changes shape
AREAS_MAGIC = b"HAVEN-AREAS-1\n"  # bump when pwa.areas' stored cut changes shape
AREAS_SUFFIX = ".areas"  # the offline areas' cut, beside the index file
SAVING = "haven-index-save"  # the background writer's thread name (index and areas)
CACHES = ("home_cache", "open_minute")  # rebuilt on use, never stored
log = logging.getLogger(__name__)
_writing = threading.Lock()


def path_for(app: Flask | None = None) -> Path | None:
    """Where this database's index file lives (None for an in-memory database)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        return Path(url.database + ".search-index")
    folder = Path(app.config.get("HAVEN_SEARCH_INDEX_DIR") or app.instance_path)
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()
    return folder / f"search-index-{digest[:16]}"


def _key(app: Flask) -> bytes:
    return hmac.new(str(app.config["SECRET_KEY"]).encode(), b"search-index",
                    hashlib.sha256).digest()


def save(idx: MemIndex, app: Flask | None = None) -> bool:
    """Write the index (atomically); False when there is nowhere to write it."""
    state = {f.name: getattr(idx, f.name) for f in dataclasses.fields(idx)
             if f.name not in CACHES}
    return _write(MAGIC, "", state, app)


def save_later(idx: MemIndex) -> None:
    """Save in a background thread (a query never waits for the disk)."""
    _later(lambda app: save(idx, app))


def save_areas_later(state: dict[str, object]) -> None:
    """Keep the offline areas' cut beside the index (in a background thread), so a worker
    starting later loads it instead of cutting the directory again (21 s at a million)."""
    _later(lambda app: _write(AREAS_MAGIC, AREAS_SUFFIX, state, app))


def load_areas() -> dict[str, object] | None:
    """The stored areas' cut (what save_areas_later was given) when authentic, else None."""
    state = _read(AREAS_MAGIC, AREAS_SUFFIX)
    return state if isinstance(state, dict) else None


def _write(magic: bytes, suffix: str, state: object, app: Flask | None) -> bool:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        path = path_for(app)
    if path is None:
        return False
    path = path.with_name(path.name + suffix)
    body = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    mac = hmac.new(_key(app), body, hashlib.sha256).digest()
    with _writing:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
            with os.fdopen(fd, "wb") as fh:
                fh.write(magic + mac + body)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("search file %s not saved to disk: %s", path.name, exc.strerror)
            return False
    return True


def _later(write: Callable[[Flask], bool]) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        try:
            write(app)
        except Exception as exc:  # noqa: BLE001 - the next build or change tries again
            log.warning("search file not saved to disk: %s", exc.__class__.__name__)

    threading.Thread(target=run, daemon=True, name=SAVING).start()


def _read(magic: bytes, suffix: str) -> object | None:
    """What _write stored, when the file is there and its HMAC checks out; else None."""
    path = path_for()
    if path is None:
        return None
    path = path.with_name(path.name + suffix)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if not raw.startswith(magic) or len(raw) < len(magic) + 32:
        return None
    mac = raw[len(magic):len(magic) + 32]
    body = memoryview(raw)[len(magic) + 32:]  # not a second copy of the whole file
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not hmac.compare_digest(mac, hmac.new(_key(app), body, hashlib.sha256).digest()):
        log.warning("search file %s failed its check; made afresh", path.name)
        return None
    try:
        return pickle.loads(body)  # noqa: S301 - authenticated above
    except Exception:  # noqa: BLE001 - a file from another version: made afresh
        return None


def wait_for_saves() -> None:
    """Wait for any index file still being written in the background (before a fork, which
    copies no thread nor a lock one holds, or before another process reads the file)."""
    for thread in threading.enumerate():
        if thread.name == SAVING:
            thread.join()


def load(epoch: str, make: Callable[..., MemIndex]) -> MemIndex | None:
    """The stored index when it is this epoch's and authentic, else None. `make` builds the
    index from its stored fields (memindex passes its class, which imports this module)."""
    state = _read(MAGIC, "")
    if not isinstance(state, dict):
        return None
    try:
        idx = make(**state)
    except Exception:  # noqa: BLE001 - an index from another version: build afresh
        return None
    return idx if idx.epoch == epoch else None
