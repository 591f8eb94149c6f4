"""gunicorn settings for Haven: `gunicorn -c deploy/gunicorn.conf.py 'app:app'`.

No access log (it would hold client addresses); the error log at "warning", every message
scrubbed of client addresses and request paths by webapp.requestlog.GunicornLogger (gunicorn
itself writes "Invalid request from ip=…" at warning level, and the URI of a failed request).
Workers: one per CPU (at least two), each loads the search index file the import wrote.
Exercised by tests/test_deploy.py.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

bind = os.environ.get("HAVEN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HAVEN_WORKERS") or max(2, multiprocessing.cpu_count()))
worker_class = "gthread"
# One thread per worker: measured on 2 cores (bench/tips_load.py, docs/BENCHMARKS.md), more
# threads do not raise tips/s (sealing is CPU-bound) and double search p95 under a tip flood.
# A database on another machine (I/O waits) may gain from HAVEN_THREADS=2..4.
threads = int(os.environ.get("HAVEN_THREADS") or 1)
timeout = 60
# The app is loaded once, in the parent, with the search index and offline areas in memory
# (webapp.ops.prefork), before the workers fork: they share those pages instead of loading a
# copy each (measured in bench/national.py). HAVEN_PRELOAD=0 loads the app in each worker.
preload_app = os.environ.get("HAVEN_PRELOAD", "1") != "0"
graceful_timeout = 30
accesslog = None
errorlog = "-"
loglevel = "warning"
logger_class = "webapp.requestlog.GunicornLogger"
capture_output = False
forwarded_allow_ips = "127.0.0.1"  # the proxy on this host (deploy/Caddyfile)
proxy_allow_ips = "127.0.0.1"


def on_starting(server: Any) -> None:
    """Warn when several workers would each keep their own rate limits and staff unlocks:
    without HAVEN_SHARED_STATE_URL that state lives in each process's memory."""
    if server.cfg.workers > 1 and not os.environ.get("HAVEN_SHARED_STATE_URL", "").strip():
        server.log.warning(
            "Haven: %d workers without HAVEN_SHARED_STATE_URL: each keeps its own rate limits "
            "and staff unlocks, so limits add up across workers and staff may be asked to "
            "unlock again. Set HAVEN_SHARED_STATE_URL=redis://127.0.0.1:6379/0 (redis-server "
            "with persistence off), or HAVEN_WORKERS=1.", server.cfg.workers)


def when_ready(server: Any) -> None:
    """In the parent, after the app is loaded and before any worker forks."""
    if server.cfg.preload_app:
        import app as haven  # already imported by preload: the app the workers will serve
        from webapp.ops import prefork

        prefork.warm(haven.app)
