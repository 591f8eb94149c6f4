"""Server search latency (p50/p95) at 1k/10k/100k generated services, SQLite and PostgreSQL,
beside a naive SQL LIKE query over the same rows.

Run: PYTHONPATH=. .venv/bin/python bench/search_latency.py [--sizes 1000,10000,100000]
     [--backends sqlite,postgresql] [--repeat 5]

Both sides answer the same questions the same way a page does: one page of 20 ids plus the
total. Haven's side goes through search.parse + search.search (vocabulary expansion, typos,
category words, ranking); the naive side is `lower(name) LIKE '%q%' OR lower(description)
LIKE '%q%'` ordered by name, which finds fewer things (no typos, no other languages) and is
only here as the baseline the issue names. Import time is printed too, but not tuned.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from werkzeug.datastructures import MultiDict

from bench.common import bench_app, import_generated
from webapp.extensions import db
from webapp.models import Service
from webapp.search import memindex, search

QUERIES: list[dict[str, str]] = [
    {"q": "shelter"}, {"q": "sheltr"}, {"q": "legal aid"}, {"q": "abogado"},
    {"q": "محامي"}, {"q": "律师"}, {"q": "притулок"}, {"q": "conseling"},
    {"q": "counselling women"}, {"q": "medical"}, {"q": "Fresno"}, {"q": "safe haven house"},
    {"q": "hotline", "open_now": "1"}, {"q": "lawyer", "language": "es"},
    {"q": "shelter", "near": "34.05,-118.24"}, {"category": "shelter", "population": "women"},
    {"q": "food", "free": "1"}, {"q": "immigration visa"}, {"q": "kalomi"}, {"q": "xyzzy"},
]


def naive_text(args: dict[str, str]) -> str:
    """The text a LIKE baseline can search for (filters have no LIKE equivalent)."""
    return (args.get("q") or args.get("category") or "").lower()


def time_haven(args: dict[str, str]) -> float:
    start = time.perf_counter()
    search.search(search.parse(MultiDict(args)), home_country="US")
    return (time.perf_counter() - start) * 1000


def time_like(args: dict[str, str]) -> float:
    pattern = f"%{naive_text(args)}%"
    cond = or_(func.lower(Service.name).like(pattern),
               func.lower(Service.description).like(pattern))
    start = time.perf_counter()
    db.session.scalars(select(Service.id).where(cond).order_by(Service.name).limit(20)).all()
    db.session.scalar(select(func.count()).select_from(Service).where(cond))
    return (time.perf_counter() - start) * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load(app: Any, n: int) -> float:
    """Import n generated services through the real importer; returns seconds."""
    start = time.perf_counter()
    import_generated(app, n)
    return time.perf_counter() - start


def count_services(app: Any) -> int:
    """How many services the database really holds (the bench refuses a wrong count)."""
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Service)) or 0)


def measure(app: Any, repeat: int) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    with app.app_context():
        start = time.perf_counter()
        memindex.current()  # built once per epoch (and per worker process), with its words
        search.known_places()
        out["build"] = ((time.perf_counter() - start) * 1000, 0.0)
        for q in QUERIES:  # warm caches (vocabulary, page cache) once
            time_haven(q)
            time_like(q)
        for name, fn in (("haven", time_haven), ("like", time_like)):
            samples = [fn(q) for _ in range(repeat) for q in QUERIES]
            out[name] = (statistics.median(samples), pct(samples, 0.95))
    return out


def per_query(app: Any) -> None:
    """Each query's worst of 5 runs (to find what dominates the p95)."""
    with app.app_context():
        memindex.current()
        for q in QUERIES:
            worst = max(time_haven(q) for _ in range(5))
            print(f"   {worst:8.2f} ms  {q}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", default="", help="keep SQLite files here and reuse them")
    parser.add_argument("--per-query", action="store_true", help="print each query's p95")
    a = parser.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    rows = []
    base = Path(tempfile.mkdtemp(prefix="haven-bench-"))
    pg = None
    try:
        for backend in a.backends.split(","):
            if backend == "postgresql":
                from tests.pg import Postgres

                pg = Postgres(Path(tempfile.mkdtemp(prefix="haven-bench-pg-")))
            for n in sizes:
                if backend == "postgresql":
                    assert pg is not None
                    pg.sql(f"CREATE DATABASE b{n}")
                    url = pg.url(f"b{n}")
                else:
                    folder = Path(a.keep) if a.keep else base
                    folder.mkdir(parents=True, exist_ok=True)
                    url = f"sqlite:///{folder / f'b{n}.sqlite3'}"
                # Decide before bench_app() migrates, which creates the file: a new --keep
                # folder used to be "reused" empty and measured an empty database.
                reuse = bool(a.keep) and backend == "sqlite" and (Path(a.keep) /
                                                                  f"b{n}.sqlite3").exists()
                app = bench_app(url)
                secs = 0.0 if reuse else load(app, n)
                held = count_services(app)
                if held != n:
                    raise SystemExit(f"{url} holds {held} services, not {n}: delete it or "
                                     "give --keep a new folder")
                res = measure(app, a.repeat)
                if a.per_query:
                    per_query(app)
                with app.app_context():
                    db.engine.dispose()
                h, lk, build = res["haven"], res["like"], res["build"][0]
                rows.append((backend, n, secs, build, h[0], h[1], lk[0], lk[1]))
                print(f"{backend:10} {n:>7} import {secs:7.1f}s index {build:7.0f} ms "
                      f"haven p50 {h[0]:7.2f} ms "
                      f"p95 {h[1]:7.2f} ms | LIKE p50 {lk[0]:7.2f} ms p95 {lk[1]:7.2f} ms "
                      f"| p95 ratio {lk[1] / h[1]:5.1f}x", flush=True)
    finally:
        if pg is not None:
            pg.stop()
            shutil.rmtree(pg.dir.parent, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)
    print(f"\n{dt.date.today()} {platform.machine()} {platform.python_version()}, "
          f"{len(QUERIES)} queries x {a.repeat}")
    print("| backend | services | import | index build | Haven p50 | Haven p95 | LIKE p50 |"
          " LIKE p95 | LIKE p95 / Haven p95 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for b, n, s, build, hp50, hp95, lp50, lp95 in rows:
        print(f"| {b} | {n:,} | {s:.0f} s | {build / 1000:.1f} s | {hp50:.1f} ms | "
              f"{hp95:.1f} ms | {lp50:.1f} ms | {lp95:.1f} ms | {lp95 / hp95:.1f}× |")


if __name__ == "__main__":
    main()
