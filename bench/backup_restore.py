"""Backup and restore time at n generated services and m tips.

Run: PYTHONPATH=. .venv/bin/python bench/backup_restore.py [--services 100000] [--tips 10000]

Builds an SQLite database with n services (the HSDS import) and m tips stored by the tip
service itself (sealed, with their receipts and idempotency keys), then times, with the
production Argon2id strength for the backup passphrase: `backup create`, `backup verify`,
`backup restore` into an empty SQLite database, into an empty PostgreSQL database, and a backup
of that PostgreSQL database. Each restore must give the same rows (count and hash per table)
as the source. The tips' receipt KDF is made cheaper while the tips are generated, and only
then (their rows have the same shape and size); nothing timed uses it. The bench refuses a
database that does not hold n services and m tips.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import platform
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.common import bench_app, databases, import_generated
from webapp.backups import services as backups
from webapp.extensions import db
from webapp.models import OrgKey, Service, Tip
from webapp.tips import crypto
from webapp.tips import services as tips

PASSPHRASE = "benchmark backup passphrase"  # noqa: S105 - a throwaway bench database


def add_tips(m: int) -> float:
    """Store m tips through tips.services.create_tip; returns seconds."""
    made = crypto.make_org_key("benchmark org passphrase", crypto.pwhash.argon2id.OPSLIMIT_MIN,
                               crypto.pwhash.argon2id.MEMLIMIT_MIN)
    db.session.add(OrgKey(public_key=made.public_key, sealed_private=made.sealed_private,
                          kdf_salt=made.salt, kdf_ops=made.ops, kdf_mem=made.mem,
                          created_hour=tips.hour()))
    db.session.commit()
    real = crypto.receipt_keys
    crypto.receipt_keys = functools.partial(real, ops=1, mem=8 * 1024)  # type: ignore[assignment]
    started = time.perf_counter()
    try:
        for i in range(m):
            tips.create_tip({"what": f"benchmark tip {i} " + "x" * 300, "where": "Fresno",
                             "country": "US", "city": "Fresno", "when": "", "people": "3",
                             "places": "", "contact": "", "language": "en"}, ["labour"], [],
                            f"bench-key-{i:08d}-{os.getpid()}")
    finally:
        crypto.receipt_keys = real  # type: ignore[assignment]
    return time.perf_counter() - started


def timed(label: str, fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    took = time.perf_counter() - started
    print(f"  {label}: {took:.1f} s", flush=True)
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--tips", type=int, default=10_000)
    a = parser.parse_args()
    with databases("haven-bench-backup-") as new:
        source = bench_app(new("sqlite", "source"))
        print(f"building: {a.services} services ...", flush=True)
        import_generated(source, a.services)
        with source.app_context():
            tip_s = add_tips(a.tips)
            n = db.session.scalar(select(func.count()).select_from(Service))
            m = db.session.scalar(select(func.count()).select_from(Tip))
            if n != a.services or m != a.tips:
                raise SystemExit(f"refusing to measure: {n} services and {m} tips, not "
                                 f"{a.services} and {a.tips}")
            want = backups.digests()
        print(f"  {m} tips stored in {tip_s:.0f} s; {sum(c for c, _h in want.values())} rows",
              flush=True)
        folder = Path(new("sqlite", "x")[len("sqlite:///"):]).parent
        path = folder / "bench.backup"
        src_size = Path(source.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]).stat()
        figures: dict[str, float] = {}

        def create(app: object, out: Path) -> None:
            with app.app_context(), out.open("wb") as fh:  # type: ignore[attr-defined]
                backups.create(fh, PASSPHRASE)

        def restore_into(app: object) -> None:
            with app.app_context():  # type: ignore[attr-defined]
                from flask_migrate import upgrade

                upgrade()
                with path.open("rb") as fh:
                    backups.verify(fh, PASSPHRASE)  # the CLI checks the whole file first
                with path.open("rb") as fh:
                    backups.restore(fh, PASSPHRASE)

        def check(app: object) -> None:
            with app.app_context():  # type: ignore[attr-defined]
                got = backups.digests()
            skip = {"haven_meta", "search_change", "audit_log"}  # new epoch, "restored" entry
            bad = [t for t in want if t not in skip and want[t] != got[t]]
            if bad:
                raise SystemExit(f"restore differs from the source in {bad}")

        figures["create"] = timed("backup create (SQLite)", lambda: create(source, path))
        size = path.stat().st_size

        def verify() -> None:
            with source.app_context(), path.open("rb") as fh:
                backups.verify(fh, PASSPHRASE)

        figures["verify"] = timed("backup verify", verify)
        lite = bench_app(new("sqlite", "restored"))
        figures["restore_sqlite"] = timed("restore into empty SQLite (check + write)",
                                          lambda: restore_into(lite))
        check(lite)
        pg = bench_app(new("postgresql", "restored"))
        figures["restore_pg"] = timed("restore into empty PostgreSQL (check + write)",
                                      lambda: restore_into(pg))
        check(pg)
        figures["create_pg"] = timed("backup create (PostgreSQL)",
                                     lambda: create(pg, folder / "pg.backup"))
        for app in (source, lite, pg):
            with app.app_context():
                db.engine.dispose()
    print(f"backup file {size / 1e6:.0f} MB (SQLite file {src_size.st_size / 1e6:.0f} MB)")
    print(f"{dt.date.today()} {platform.machine()} {os.cpu_count()} cpus Python "
          f"{platform.python_version()}; {a.services} services, {a.tips} tips")


if __name__ == "__main__":
    sys.exit(main())
