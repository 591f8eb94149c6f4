"""`flask services sync` rate: a mirror pulls n services from another Haven on loopback.

Run: PYTHONPATH=. .venv/bin/python bench/sync_rate.py [--sizes 10000,100000]

The upstream is a Haven holding n generated services (bench/gen_services.py, imported as
`flask services import` does), served by gunicorn (one worker) in processes of its own, as
another machine would be. The mirror starts empty (migrated, Haven's taxonomies) and runs one
full pull in a process of its own: pages of 100 fully nested services, each validated, written,
indexed and compared field by field. Timed: the pull alone; peak memory is the mirror
process's own high-water mark (VmHWM). Then a second pull with nothing changed upstream
(what the hourly timer costs when nothing happened). The mirror must end with n services,
or the run is refused. --upstream-tree serves the upstream from another checkout's code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.common import bench_app, databases, import_generated

ROOT = Path(__file__).resolve().parent.parent

MIRROR = """
import json, sys, time
from sqlalchemy import func, select
from webapp import create_app
from webapp.exchange import sync
from webapp.extensions import db
from webapp.models import Service
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "HAVEN_SEED_ON_START": False,
                  "SECRET_KEY": "bench", "HAVEN_SEARCH_INDEX_DIR": sys.argv[3]})
with app.app_context():
    out = []
    for _ in range(2):
        started = time.perf_counter()
        done = sync.pull(sys.argv[2], app.config["HSDS_SCHEMA_DIR"])
        out.append({"seconds": time.perf_counter() - started, "added": done.added,
                    "unchanged": done.unchanged, "pages": done.pages})
    held = db.session.scalar(select(func.count()).select_from(Service))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a child started
# by the process that imported the upstream would report that import's peak.
peak = next(int(line.split()[1]) for line in open("/proc/self/status")
            if line.startswith("VmHWM:")) / 1024
print(json.dumps({"runs": out, "held": held, "peak_mb": peak}))
"""


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(port: int, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"the upstream did not start on port {port}")


def measure(n: int, new: object, index_dir: str, upstream_tree: Path) -> dict[str, object]:
    """One upstream of n services (served from upstream_tree's code), one mirror pulling it
    twice."""
    up_url = new("sqlite", f"upstream{n}")  # type: ignore[operator]
    mirror_url = new("sqlite", f"mirror{n}")  # type: ignore[operator]
    upstream = bench_app(up_url)
    import_seconds = import_generated(upstream, n)
    bench_app(mirror_url)
    port = _port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    up_env = {**env, "PYTHONPATH": str(upstream_tree)}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--timeout", "300",
         "--bind", f"127.0.0.1:{port}", "app:app"], cwd=upstream_tree,
        env={**up_env, "DATABASE_URL": up_url, "HAVEN_SEED_ON_START": "0", "SECRET_KEY": "bench",
             "HAVEN_SEARCH_INDEX_DIR": index_dir})
    try:
        _wait(port)
        res = subprocess.run([sys.executable, "-c", MIRROR, mirror_url,
                              f"http://127.0.0.1:{port}/api/hsds", index_dir],
                             cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    finally:
        server.terminate()
        server.wait()
    if res.returncode:
        raise SystemExit(res.stderr[-3000:])
    found = json.loads(res.stdout.strip().splitlines()[-1])
    if found["held"] != n or found["runs"][0]["added"] != n:
        raise SystemExit(f"the mirror holds {found['held']} services, not {n}: not measured")
    return {"n": n, "import_s": import_seconds, **found}


def main() -> None:
    """Measure each size and print a Markdown table for docs/BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--upstream-tree", type=Path, default=ROOT,
                        help="a checkout whose code serves the upstream (default: this one)")
    args = parser.parse_args()
    rows = []
    with databases("haven-bench-sync-") as new:
        index_dir = str(Path(new("sqlite", "x").removeprefix("sqlite:///")).parent)
        for n in (int(s) for s in args.sizes.split(",")):
            found = measure(n, new, index_dir, args.upstream_tree)
            print(json.dumps(found), flush=True)
            rows.append(found)
    print(f"\n{dt.date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite\n")
    print("| services | full pull s | services/s | pages | peak RSS MB | "
          "pull with nothing new s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        first, again = r["runs"]  # type: ignore[misc]
        print(f"| {r['n']:,} | {first['seconds']:.1f} | {r['n'] / first['seconds']:.0f} | "
              f"{first['pages']} | {r['peak_mb']:.0f} | {again['seconds']:.2f} |")


if __name__ == "__main__":
    main()
