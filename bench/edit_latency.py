"""Living directory figures (#9): HSDS import rate, edit -> searchable latency, the first
query's latency after an edit, and database bytes per service, at n generated services.

Run: PYTHONPATH=. .venv/bin/python bench/edit_latency.py [--sizes 10000,100000]
     [--backends sqlite,postgresql] [--edits 5]

An edit goes through the editor's own save (the same checks and writer as the staff page),
renaming one listing to a word nothing else has; "searchable" is the time from the start of
the save until a search for that word returns the listing, in the same process. The first
query after an edit is timed on its own too: today it waits for the in-memory index to be
rebuilt (one rebuild per worker per data version), which is what #9, item 6 must remove.
The bench refuses a database that does not hold n services.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time

from sqlalchemy import func, select

from bench.common import bench_app, databases, import_generated
from webapp.editor import services, snapshot
from webapp.extensions import db
from webapp.models import Service, StaffUser
from webapp.search import search
from webapp.staff import auth


def one_edit(app: object, word: str) -> tuple[float, float, float]:
    """(save ms, first query ms, save-start -> searchable ms) for one rename."""
    with app.app_context():  # type: ignore[attr-defined]
        user = db.session.scalar(select(StaffUser).limit(1))
        assert user is not None
        sid = db.session.scalar(select(Service.id).where(Service.status == "active")
                                .order_by(func.random()).limit(1))
        svc = db.session.get(Service, sid)
        assert svc is not None
        snap = {**snapshot.of(svc), "name": f"{svc.name} {word}"}
        start = time.perf_counter()
        out = services.save(svc.id, snap, svc.revision, user,
                            app.config["HSDS_SCHEMA_DIR"])  # type: ignore[attr-defined]
        saved = time.perf_counter()
        if not out.ok:
            raise SystemExit(f"the edit was refused: {out}")
        ids = search.search(search.Params(q=word), home_country="US").ids
        done = time.perf_counter()
        if ids[:1] != [sid]:
            raise SystemExit(f"{word!r} did not find the edited listing: {ids[:3]}")
        db.session.remove()
    return (saved - start) * 1000, (done - saved) * 1000, (done - start) * 1000


def measure(url: str, backend: str, n: int,
            edits: int) -> tuple[str, int, float, float, float, float, float, float]:
    """Import n services into url, then time `edits` edits; one row of the table."""
    app = bench_app(url)
    start = time.perf_counter()
    import_generated(app, n)
    secs = time.perf_counter() - start
    with app.app_context():
        held = int(db.session.scalar(select(func.count()).select_from(Service)) or 0)
        if held != n:
            raise SystemExit(f"{url} holds {held} services, not {n}")
        auth.create_user("bench", "bench-password-long", "editor")
        search.search(search.Params(q="shelter"), home_country="US")  # warm
        if backend == "sqlite":
            size = os.path.getsize(url.removeprefix("sqlite:///"))
        else:
            size = int(db.session.scalar(select(func.pg_database_size(
                func.current_database()))) or 0)
    samples = [one_edit(app, f"zqedit{i}x{n}") for i in range(edits)]
    with app.app_context():
        db.engine.dispose()
    save = statistics.median(s[0] for s in samples)
    first = statistics.median(s[1] for s in samples)
    total = statistics.median(s[2] for s in samples)
    worst = max(s[2] for s in samples)
    print(f"{backend:10} {n:>7} import {n / secs:6.0f} services/s  {size / n:6.0f} B/service"
          f"  save {save:6.0f} ms  first query {first:6.0f} ms  edit->searchable median "
          f"{total:6.0f} ms worst {worst:6.0f} ms", flush=True)
    return backend, n, n / secs, size / n, save, first, total, worst


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--edits", type=int, default=5)
    a = parser.parse_args()
    rows = []
    with databases("haven-bench-edit-") as new:
        for backend in a.backends.split(","):
            for n in (int(x) for x in a.sizes.split(",")):
                rows.append(measure(new(backend, f"e{n}"), backend, n, a.edits))
    print(f"\n{dt.date.today()} {platform.machine()} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {a.edits} edits each")
    print("| backend | services | import | DB bytes/service | save | first query after | "
          "edit → searchable (median / worst) |")
    print("|---|---|---|---|---|---|---|")
    for b, n, rate, per, save, first, total, worst in rows:
        print(f"| {b} | {n:,} | {rate:,.0f} services/s | {per:,.0f} B | {save:,.0f} ms | "
              f"{first:,.0f} ms | {total:,.0f} / {worst:,.0f} ms |")


if __name__ == "__main__":
    main()
