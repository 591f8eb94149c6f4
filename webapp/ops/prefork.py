"""What a server's parent process does before it forks its workers (gunicorn with
`preload_app`, deploy/gunicorn.conf.py): load the search index and the offline areas once, so
every worker starts with them in memory pages they share, copy on write, instead of each
loading a copy of its own. At a million services that is one copy of the index for all the
workers, not one each. A worker applies later changes on top, as it always does; only the
pages a change or a query writes become its own.
"""

from __future__ import annotations

import gc
import logging

from flask import Flask

from webapp.extensions import db
from webapp.pwa import areas
from webapp.search import memindex, stored

log = logging.getLogger(__name__)


def warm(app: Flask) -> None:
    """Load (or build and store) what workers search with, then leave nothing a fork would
    copy badly: no database connection (each worker opens its own), no thread still writing
    the index file (a fork copies no thread, nor a lock one holds). Nothing here stops the
    server: on a failure each worker loads the index itself, as without preloading."""
    with app.app_context():
        try:
            memindex.current()
            if areas.by_area():
                areas.current()
        except Exception as exc:  # noqa: BLE001 - an unmigrated database, a server not up
            log.warning("search index not loaded before the workers start: %s",
                        exc.__class__.__name__)
        finally:
            db.session.remove()
            db.engine.dispose()
    stored.wait_for_saves()
    gc.collect()
    gc.freeze()  # a collection writes to every object it visits: leave the shared ones be
