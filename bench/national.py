"""National scale on one server: 100k and a million generated services in 200 regions.

Run: PYTHONPATH=. .venv/bin/python bench/national.py [--sizes 100000,1000000]
     [--backends sqlite,postgresql] [--regions 200] [--batch 100000] [--repeat 5]

The services are imported a batch at a time (100k: a million at once does not fit the
importer's memory, which holds the parsed records), each batch an import of its own as
`flask services import` runs it, into the same database, up to each size. At each size:
- import rate: the services over the seconds all the batches so far took (generating the
  records and writing the file are not counted);
- database bytes per service (the SQLite file; pg_database_size);
- the index built and stored, as an import ends (memindex.persist), seconds;
- search p50 and p95 in this process over search_latency's 20 queries, `--repeat` times, after
  one warm-up pass, and the five slowest queries;
- the offline areas cut (areas.current: every service's place read, then the partition), s;
- two gunicorn workers (deploy/gunicorn.conf.py, as deployed) on the database: from start to
  the first answer, then each worker's private memory (Private_Clean + Private_Dirty in
  /proc/<pid>/smaps_rollup: what a third worker would add) and RSS after 200 searches sent
  over two connections, so both workers answer some. Once as deployed (the app and the index
  loaded in the parent before the workers fork) and once with HAVEN_PRELOAD=0 (each worker
  loads its own).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from bench.common import INDEX_DIR, bench_app, databases
from bench.gen_services import generate
from bench.search_latency import QUERIES, pct, time_haven
from webapp.exchange import importer
from webapp.extensions import db
from webapp.models import Service
from webapp.pwa import areas
from webapp.search import memindex, stored

ROOT = Path(__file__).resolve().parent.parent
WORDS = ["shelter", "legal+aid", "abogado", "medical", "counselling", "hotline", "food",
         "sheltr", "lawyer", "immigration"]


def import_batch(app: Flask, start: int, n: int, total: int, regions: int) -> float:
    """Import services start .. start + n - 1 of a directory of `total`; the seconds it took."""
    folder = Path(tempfile.mkdtemp(prefix="haven-bench-national-"))
    try:
        path = folder / "services.json"
        path.write_text(json.dumps(generate(n, regions=regions, start=start, total=total),
                                   ensure_ascii=False), encoding="utf-8")
        with app.app_context():
            began = time.perf_counter()
            importer.import_path(path, app.config["HSDS_SCHEMA_DIR"])
            took = time.perf_counter() - began
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return took


def private_mb(pid: int) -> tuple[float, float]:
    """(private, resident) memory of a process, MB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _sep, rest = line.partition(":")
        fields[name] = int(rest.split()[0])
    return ((fields["Private_Clean"] + fields["Private_Dirty"]) / 1024, fields["Rss"] / 1024)


def gunicorn_workers(url: str, secret: str, preload: bool) -> dict[str, Any]:
    """Start two workers as deployed (the app and index loaded before they fork, or with
    HAVEN_PRELOAD=0 in each); time to the first answer; memory after searches."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "HAVEN_BIND": f"127.0.0.1:{port}",
           "HAVEN_WORKERS": "2", "HAVEN_SEED_ON_START": "0", "SECRET_KEY": secret,
           "HAVEN_SEARCH_INDEX_DIR": str(INDEX_DIR), "HAVEN_PRELOAD": "1" if preload else "0"}
    began = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c",
                             "deploy/gunicorn.conf.py", "app:app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ask(q: str) -> None:
        url_ = f"http://127.0.0.1:{port}/api/hsds/services?q={q}&per_page=5"
        with urllib.request.urlopen(url_, timeout=300) as r:  # noqa: S310 - our loopback
            r.read()

    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {proc.returncode}")
            try:
                ask("shelter")
                break
            except urllib.error.HTTPError:
                raise
            except OSError:
                time.sleep(0.05)
        first = time.perf_counter() - began

        def many() -> None:
            for i in range(100):
                ask(WORDS[i % len(WORDS)])

        threads = [threading.Thread(target=many) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
                    .read_text().split()]
        memory = [private_mb(pid) for pid in children]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    tag = "preload" if preload else "each"
    return {f"{tag}_first_answer_s": first, f"{tag}_private_mb": [m[0] for m in memory],
            f"{tag}_rss_mb": [m[1] for m in memory]}


def measure(app: Flask, url: str, backend: str, n: int, import_s: float,
            repeat: int) -> dict[str, Any]:
    """One row: the figures at n services."""
    with app.app_context():
        held = int(db.session.scalar(select(func.count()).select_from(Service)) or 0)
        if held != n:
            raise SystemExit(f"{url} holds {held} services, not {n}")
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        if backend == "sqlite":
            size = os.path.getsize(url.removeprefix("sqlite:///"))
        else:
            size = int(db.session.scalar(select(func.pg_database_size(
                func.current_database()))) or 0)
        began = time.perf_counter()
        memindex.persist()
        persist_s = time.perf_counter() - began
        for q in QUERIES:
            time_haven(q)
        samples = [time_haven(q) for _ in range(repeat) for q in QUERIES]
        worst = sorted(((max(time_haven(q) for _ in range(3)), q) for q in QUERIES),
                       key=lambda x: -x[0])[:5]
        print("slowest queries (worst of 3, ms):",
              ", ".join(f"{json.dumps(q, ensure_ascii=False)} {ms:.1f}" for ms, q in worst),
              flush=True)
        began = time.perf_counter()
        areas_n = len(areas.current().members)
        areas_s = time.perf_counter() - began
    stored.wait_for_saves()
    with app.app_context():
        index_file = stored.path_for(app)
    workers = {**gunicorn_workers(url, app.config["SECRET_KEY"], preload=True),
               **gunicorn_workers(url, app.config["SECRET_KEY"], preload=False)}
    row = {"backend": backend, "services": n, "import_per_s": n / import_s,
           "db_bytes_per_service": size / n, "index_s": persist_s,
           "index_file_mb": index_file.stat().st_size / 2**20 if index_file else None,
           "p50_ms": statistics.median(samples), "p95_ms": pct(samples, 0.95),
           "areas": areas_n, "areas_s": areas_s, **workers}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--regions", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    total = sizes[-1]
    print(f"{dt.date.today()} {platform.machine()} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}", flush=True)
    with databases("haven-bench-national-") as new:
        for backend in args.backends.split(","):
            url = new(backend, "national")
            app = bench_app(url)
            done, import_s = 0, 0.0
            for size in sizes:
                while done < size:
                    step = min(args.batch, size - done)
                    import_s += import_batch(app, done, step, total, args.regions)
                    done += step
                    print(f"{backend}: {done} imported, {import_s:.0f} s", flush=True)
                measure(app, url, backend, size, import_s, args.repeat)
            with app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
