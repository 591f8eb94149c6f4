"""HSDS import rate of any commit, for before/after figures, on the same data.

Run: PYTHONPATH=. .venv/bin/python bench/import_rate.py --refs f6e62ee,HEAD
     [--sizes 10000,100000] [--backends sqlite,postgresql]

Each ref is checked out in a temporary git worktree and imports the same generated services
(bench/gen_services.py of this checkout, written to one JSON file) as `flask services import
FILE` does: read the file, validate every record, write everything in one transaction, index.
Only the import is timed (from 5,000 records it runs on every core: exchange/parallel.py;
the importing process's and its largest worker's peak memory are reported). Every run gets a
new empty database; the script then checks that it holds n services, so an empty or
half-filled database can never be measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import databases
from bench.gen_services import generate

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = str(ROOT / "reference" / "hsds-3.0" / "schema")

CHILD = """
import json, sys, time
from flask_migrate import upgrade
from sqlalchemy import func, select
from webapp import create_app
from webapp.exchange import importer
from webapp.extensions import db
from webapp.models import Service
url, path, schemas, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "HAVEN_SEED_ON_START": False,
                  "HSDS_SCHEMA_DIR": schemas, "SECRET_KEY": "bench"})
with app.app_context():
    upgrade()
    importer.ensure_taxonomies()
    db.session.commit()
    started = time.perf_counter()
    importer.import_path(__import__("pathlib").Path(path), schemas)
    took = time.perf_counter() - started
    held = db.session.scalar(select(func.count()).select_from(Service))
import resource
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": took, "held": held, "peak_mb": peak, "worker_mb": worker}))
"""


def run(tree: Path, url: str, path: Path, n: int) -> tuple[float, float, float]:
    """(Seconds the import took in that tree, the importing process's peak memory in MB, the
    largest worker process's, 0 without workers); refuses a database that does not end at
    n."""
    os.sync()  # the last run's database and the new file are on disk: no writeback in here
    out = subprocess.run([sys.executable, "-c", CHILD, url, str(path), SCHEMAS, str(n)],
                         cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"import failed in {tree}:\n{out.stderr[-3000:]}")
    got = json.loads(out.stdout.strip().splitlines()[-1])
    if got["held"] != n:
        raise SystemExit(f"{url} holds {got['held']} services after the import, not {n}")
    return float(got["seconds"]), float(got["peak_mb"]), float(got.get("worker_mb", 0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refs", default="HEAD")
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    a = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="haven-bench-rate-"))
    trees: dict[str, Path] = {}
    rows = []
    try:
        for ref in a.refs.split(","):
            commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT,
                                    capture_output=True, text=True, check=True).stdout.strip()
            trees[commit] = base / commit
            subprocess.run(["git", "worktree", "add", "--detach", str(trees[commit]), commit],
                           cwd=ROOT, capture_output=True, check=True)
        with databases("haven-bench-rate-db-") as new:
            for n in (int(x) for x in a.sizes.split(",")):
                path = base / f"services-{n}.json"
                path.write_text(json.dumps(generate(n), ensure_ascii=False), encoding="utf-8")
                for backend in a.backends.split(","):
                    for commit, tree in trees.items():
                        secs, peak, worker = run(tree, new(backend, f"r{commit}n{n}"), path, n)
                        rows.append((commit, backend, n, secs, peak, worker))
                        print(f"{commit} {backend:10} {n:>7}  {secs:7.1f} s  "
                              f"{n / secs:7.0f} services/s  peak {peak:,.0f} MB  "
                              f"worker {worker:,.0f} MB", flush=True)
                path.unlink()
    finally:
        for tree in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)
    print(f"\n{dt.date.today()} {platform.machine()} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print("| commit | backend | services | import s | services/s | peak memory MB | largest "
          "worker MB |")
    print("|---|---|---|---|---|---|---|")
    for commit, backend, n, secs, peak, worker in rows:
        print(f"| {commit} | {backend} | {n:,} | {secs:,.1f} | {n / secs:,.0f} | {peak:,.0f} "
              f"| {worker:,.0f} |")


if __name__ == "__main__":
    main()
