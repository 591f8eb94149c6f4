"""Living directory figures: HSDS import rate, edit -> searchable latency, the first
query's latency after an edit, and database bytes per service, at n generated services.

Run: PYTHONPATH=. .venv/bin/python bench/edit_latency.py [--sizes 10000,100000]
     [--backends sqlite,postgresql] [--edits 5]

An edit goes through the editor's own save (the same checks and writer as the staff page),
renaming one listing to a word nothing else has. "Searchable" is timed twice: in the same
process, and in another worker, a real `python app.py` on the same database asked over HTTP
(/api/hsds/services?q=word) until the listing comes back; both from the start of the save. The
first query after an edit is timed on its own in both. The other worker also gives the time
from its start to its first answer (loading the index file the import wrote, and once more
with no such file: a build from the tables) and its resident memory after a few searches.
The bench refuses a database that does not hold n services.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import func, select

from bench.common import INDEX_DIR, bench_app, databases, import_generated
from webapp.editor import services, snapshot
from webapp.extensions import db
from webapp.models import Service, StaffUser
from webapp.search import memindex, search, stored
from webapp.staff import auth

ROOT = Path(__file__).resolve().parent.parent


class Worker:
    """`python app.py` on the bench's database, on a free loopback port."""

    def __init__(self, url: str, secret: str) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        env = {**os.environ, "DATABASE_URL": url, "PORT": str(self.port),
               "HAVEN_SEED_ON_START": "0", "SECRET_KEY": secret,  # the bench's: same index
               "HAVEN_SEARCH_INDEX_DIR": str(INDEX_DIR)}
        started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"the worker exited with {self.proc.returncode}")
            try:
                self.ask("shelter")
                break
            except urllib.error.HTTPError:
                raise
            except OSError:  # not listening yet
                time.sleep(0.02)
        self.first_answer = time.perf_counter() - started

    def ask(self, q: str) -> list[str]:
        """Ids of the first page of /api/hsds/services?q=..."""
        url = f"http://127.0.0.1:{self.port}/api/hsds/services?q={q}&per_page=5"
        with urllib.request.urlopen(url, timeout=60) as r:  # noqa: S310 - our loopback worker
            return [s["id"] for s in json.loads(r.read())["contents"]]

    def rss_mb(self) -> float:
        """Resident memory now, MB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def one_edit(app: object, worker: Worker, word: str) -> tuple[float, ...]:
    """(save, first query here, searchable here, first query there, searchable there), ms."""
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
        there = worker.ask(word)
        there_first = time.perf_counter()
        while there[:1] != [sid]:
            if time.perf_counter() - start > 30:
                raise SystemExit(f"the other worker never found {word!r}: {there[:3]}")
            there = worker.ask(word)
        there_done = time.perf_counter()
        here_start = time.perf_counter()
        ids = search.search(search.Params(q=word), home_country="US").ids
        here_done = time.perf_counter()
        if ids[:1] != [sid]:
            raise SystemExit(f"{word!r} did not find the edited listing: {ids[:3]}")
        db.session.remove()
    ms = 1000
    return ((saved - start) * ms, (here_done - here_start) * ms,
            (saved - start + here_done - here_start) * ms,
            (there_first - saved) * ms, (there_done - start) * ms)


COLUMNS = ("import services/s", "DB B/service", "save ms", "first query here ms",
           "searchable here ms", "first query other worker ms",
           "searchable other worker ms (median)", "worst ms", "index built and stored s",
           "index file MB", "worker start to first answer s", "same without the stored index s",
           "worker RSS MB")


def measure(url: str, backend: str, n: int, edits: int) -> tuple[str, int, list[float]]:
    """Import n services into url, then time `edits` edits; one row of the table."""
    app = bench_app(url)
    secs = import_generated(app, n)
    with app.app_context():
        held = int(db.session.scalar(select(func.count()).select_from(Service)) or 0)
        if held != n:
            raise SystemExit(f"{url} holds {held} services, not {n}")
        auth.create_user("bench", "bench-password-long", "editor")
        started = time.perf_counter()
        memindex.persist()  # what `flask services import` does after committing: build, store
        persist_s = time.perf_counter() - started
        index_file = stored.path_for(app)
        assert index_file is not None
        index_mb = index_file.stat().st_size / 2**20
        search.search(search.Params(q="shelter"), home_country="US")  # warm
        if backend == "sqlite":
            size = os.path.getsize(url.removeprefix("sqlite:///"))
        else:
            size = int(db.session.scalar(select(func.pg_database_size(
                func.current_database()))) or 0)
    stored.wait_for_saves()
    index_file.unlink()  # a worker with no stored index: builds from the tables
    cold = Worker(url, app.config["SECRET_KEY"])
    cold.stop()
    cold_start = cold.first_answer
    with app.app_context():
        memindex.persist()
    worker = Worker(url, app.config["SECRET_KEY"])
    try:
        for q in ("legal aid", "shelter", "medcal", "abogado", "counselling"):
            worker.ask(q.replace(" ", "+"))
        rss = worker.rss_mb()
        samples = [one_edit(app, worker, f"zqedit{i}x{n}") for i in range(edits)]
    finally:
        worker.stop()
    with app.app_context():
        db.engine.dispose()
    med = [statistics.median(s[i] for s in samples) for i in range(5)]
    row = [n / secs, size / n, *med, max(s[4] for s in samples), persist_s, index_mb,
           worker.first_answer, cold_start, rss]
    print(f"{backend:10} {n:>7} " + "  ".join(f"{c} {v:,.1f}" for c, v in
                                               zip(COLUMNS, row, strict=True)), flush=True)
    return backend, n, row


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
    print("| backend | services | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for b, n, row in rows:
        print(f"| {b} | {n:,} | " + " | ".join(f"{v:,.1f}" if v < 100 else f"{v:,.0f}"
                                                for v in row) + " |")


if __name__ == "__main__":
    main()
