"""Import rate of a real-shaped HSDS CSV datapackage: upstream's 3.1 tabular example
(reference/hsds-3.1/examples/csv, every one of its 24 tables) scaled to n services.

Run: PYTHONPATH=. .venv/bin/python bench/import_csv.py [--services 100000]
     [--backends sqlite,postgresql]

scale() copies the example n times with new ids (uuid5 of the copy and the old id; copy 0 is
upstream's own rows), keeping its structure: each copy has its organisation, programme,
service, place, phone, contact, schedule, language, cost option, funding, service area,
required document, capacity and URL; four services share each place (the later three name
it by location_id alone, as real directories list several services at one address); the
taxonomy, its term and the unit are shared. Upstream's rows that name no record of the
package (an attribute of an unknown record, a capacity of an unknown service, a URL of
nobody) are kept as they are in copy 0 and, in the other copies, name the copy's own
service (metadata: its place), so that they do not all pile up on one organisation.

Each run imports the folder as `flask services import DIR` does (read the descriptor and
every table, nest the rows into records, validate, write in one transaction, index), in a
fresh process on a new empty database; it prints services/s, the importing process's and its
largest worker's peak memory, and checks that the database then holds n services.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "reference" / "hsds-3.1" / "examples" / "csv"
SCHEMAS = str(ROOT / "reference" / "hsds-3.0" / "schema")
NS = uuid.UUID("8d6a1f0e-3c2b-4f5a-9e7d-1b2c3d4e5f60")
SHARED = ("taxonomies.csv", "taxonomy_terms.csv", "units.csv")  # one row, not copied
ONCE = ("meta_table_descriptions.csv",)  # describes the package: copy 0 only
PLACE = ("locations.csv", "addresses.csv", "accessibility.csv")  # one per PER_PLACE copies
PER_PLACE = 4


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def scale(src: Path, dest: Path, n: int) -> None:
    """Write upstream's CSV package in src copied n times (see the module's doc) to dest."""
    tables = {p.name: _read(p) for p in sorted(src.glob("*.csv"))}
    ids = {name: {r["id"] for r in rows} for name, (_h, rows) in tables.items()}
    known = set().union(*ids.values())
    shared = set().union(*(ids[name] for name in SHARED if name in ids))
    places = ids.get("locations.csv", set())
    service = tables["services.csv"][1][0]["id"]
    place = next(iter(places))
    unit = next(iter(ids.get("units.csv", {""})))

    def new(k: int, old: str) -> str:
        return old if k == 0 else str(uuid.uuid5(NS, f"{k}:{old}"))

    def ref(k: int, old: str) -> str:
        if old in places:
            return new(k - k % PER_PLACE, old)
        if old in shared or old not in known:
            return old  # shared, or upstream's own dangling reference: left as it is
        return new(k, old)

    linked = {  # upstream's unlinked rows, in copies after the first: the copy's own
        "attributes.csv": lambda k: {"link_id": new(k, service)},
        "metadata.csv": lambda k: {"resource_id": new(k - k % PER_PLACE, place)},
        "service_capacity.csv": lambda k: {"service_id": new(k, service), "unit_id": unit},
        "url.csv": lambda k: {"service_id": new(k, service)},
    }
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "datapackage.json", dest / "datapackage.json")
    for name, (header, rows) in tables.items():
        if name == "url.csv" and "service_id" not in header:
            header = [*header, "service_id"]  # a column 3.1's descriptor has
        with (dest / name).open("w", encoding="utf-8", newline="") as fh:
            out = csv.DictWriter(fh, header, lineterminator="\r\n")
            out.writeheader()
            for k in range(n):
                if (k and (name in SHARED or name in ONCE)) or (name in PLACE and k % PER_PLACE):
                    continue
                for row in rows:
                    copied = {c: (new(k - k % PER_PLACE if name in PLACE else k, v) if c == "id"
                                  and name not in SHARED else ref(k, v) if c.endswith("_id")
                                  or c in ("link_id", "resource_id") else v)
                              for c, v in row.items()}
                    if k and name in linked:
                        copied.update(linked[name](k))
                    out.writerow(copied)


CHILD = """
import json, resource, sys, time
from pathlib import Path
from flask_migrate import upgrade
from sqlalchemy import func, select
from webapp import create_app
from webapp.exchange import importer, sources
from webapp.extensions import db
from webapp.models import Service
url, path, schemas = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "HAVEN_SEED_ON_START": False,
                  "HSDS_SCHEMA_DIR": schemas, "SECRET_KEY": "bench"})
with app.app_context():
    upgrade()
    importer.ensure_taxonomies()
    db.session.commit()
    started = time.perf_counter()
    reading = sources.Reading()
    records = importer.read_records(path, reading)
    read = time.perf_counter() - started
    done = importer.import_records(records, schemas)
    took = time.perf_counter() - started
    held = db.session.scalar(select(func.count()).select_from(Service))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": took, "read": read, "held": held, "peak_mb": peak,
                  "worker_mb": worker, "warnings": len(reading.warnings) + len(done.warnings)}))
"""


def run(url: str, folder: Path, n: int) -> dict[str, float]:
    """Import the folder in a fresh process; its figures. Refuses a database that does not
    end with n services, or an import that said it could not keep something."""
    os.sync()
    out = subprocess.run([sys.executable, "-c", CHILD, url, str(folder), SCHEMAS],
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"import failed:\n{out.stderr[-3000:]}")
    got: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    if got["held"] != n or got["warnings"]:
        raise SystemExit(f"{url}: {got['held']} services after the import (not {n}), "
                         f"{got['warnings']} warnings")
    return got


def _machine() -> str:
    cores = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout
    free = subprocess.run(["free", "-g"], capture_output=True, text=True, check=False).stdout
    total = next((line.split()[1] for line in free.splitlines() if line.startswith("Mem:")), "?")
    return (f"{dt.date.today()}, {platform.machine()}, {cores.strip()} cores, {total} GB, "
            f"Python {platform.python_version()}")


def main() -> None:
    from bench.common import databases

    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    a = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="haven-bench-csv-"))
    rows = []
    try:
        folder = base / "package"
        started = dt.datetime.now()
        scale(SOURCE, folder, a.services)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"scaled to {a.services:,} services: {size:,.0f} MB of CSV in "
              f"{(dt.datetime.now() - started).total_seconds():.0f} s", flush=True)
        with databases("haven-bench-csv-db-") as new:
            for backend in a.backends.split(","):
                got = run(new(backend, f"csv{a.services}"), folder, a.services)
                rows.append((backend, got))
                print(f"{backend:10} {a.services:>7}  {got['seconds']:7.1f} s (reading "
                      f"{got['read']:.1f} s)  {a.services / got['seconds']:7.0f} services/s  "
                      f"peak {got['peak_mb']:,.0f} MB  worker {got['worker_mb']:,.0f} MB",
                      flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"\n{_machine()}; package {size:,.0f} MB")
    print("| backend | services | import s | of which reading the CSV s | services/s | "
          "peak memory MB | largest worker MB |")
    print("|---|---|---|---|---|---|---|")
    for backend, got in rows:
        print(f"| {backend} | {a.services:,} | {got['seconds']:,.1f} | {got['read']:,.1f} | "
              f"{a.services / got['seconds']:,.0f} | {got['peak_mb']:,.0f} | "
              f"{got['worker_mb']:,.0f} |")


if __name__ == "__main__":
    main()
