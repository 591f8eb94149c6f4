"""webapp/bulk.py: what goes in comes back, on both databases, for small batches (INSERTs) and
large ones (COPY on PostgreSQL), with text, numbers, booleans, dates, bytes and NULLs."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import delete, select

from webapp import bulk
from webapp.extensions import db
from webapp.models import AuditEntry, Location, OrgKey, Service

TRICKY = ["plain", "tab\there", "new\nline", "back\\slash", "مأوى آمن", "律师", "",
          "quote ' and \" both", "\\N", "comma, semi; pipe|"]


@pytest.mark.parametrize("n", [10, bulk.COPY_FROM + 7])
def test_rows_come_back_as_written(any_app: Flask, n: int) -> None:
    when = dt.datetime(2026, 11, 23, 10, 15, 7)
    locations = [{"id": f"00000000-b01c-4000-8000-{i:012d}", "organization_id": None, "location_type": "physical",
                  "name": TRICKY[i % len(TRICKY)], "description": None if i % 3 else "d",
                  "confidential": bool(i % 2), "latitude": 36.7 + i / 1e6,
                  "longitude": None if i % 5 == 0 else -119.78 - i / 1e7,
                  "public_latitude": 36.7, "public_longitude": -119.8, "address_id": None,
                  "address_1": TRICKY[(i + 3) % len(TRICKY)], "address_2": None,
                  "postal_code": "93721", "city": "Fresno", "region": "CA", "country": "US"}
                 for i in range(n)]
    keys = [{"public_key": bytes([i % 256]) * 32, "sealed_private": bytes(range(256))[i % 200:],
             "kdf_salt": b"\x00\\\n\t" * 4, "kdf_ops": i, "kdf_mem": 8192,
             "created_hour": when + dt.timedelta(hours=i)} for i in range(n)]
    audit = [{"at": when + dt.timedelta(seconds=i), "staff_id": None, "action": "bulk_test",
              "tip_id": None if i % 2 else f"{i:032d}", "detail": TRICKY[i % len(TRICKY)]}
             for i in range(n)]
    with any_app.app_context():
        db.session.execute(delete(OrgKey))
        bulk.insert_rows(Location.__table__, locations)
        bulk.insert_rows(OrgKey.__table__, keys)
        bulk.insert_rows(AuditEntry.__table__, audit)
        db.session.commit()
        got = {r.id: r for r in db.session.execute(
            select(Location.__table__).where(Location.id.in_([r["id"] for r in locations])))}
        assert len(got) == n
        for row in locations:
            stored = got[row["id"]]._mapping
            assert {k: stored[k] for k in row} == row
        stored_keys = db.session.execute(select(OrgKey.public_key, OrgKey.sealed_private,
                                                OrgKey.kdf_salt, OrgKey.kdf_ops,
                                                OrgKey.created_hour)
                                         .order_by(OrgKey.kdf_ops)).all()
        assert [tuple(r) for r in stored_keys] == [
            (k["public_key"], k["sealed_private"], k["kdf_salt"], k["kdf_ops"],
             k["created_hour"]) for k in keys]
        stored_audit = db.session.execute(select(AuditEntry.at, AuditEntry.tip_id,
                                                 AuditEntry.detail)
                                          .where(AuditEntry.action == "bulk_test")
                                          .order_by(AuditEntry.at)).all()
        assert [tuple(r) for r in stored_audit] == [(a["at"], a["tip_id"], a["detail"])
                                                     for a in audit]


@pytest.mark.parametrize("n", [10, bulk.COPY_FROM + 7])
def test_defaults_land_in_their_own_columns(any_app: Flask, n: int) -> None:
    """Rows that leave out columns with plain defaults in the middle of the table (a
    service's status and revision) get the defaults there, and every other value in its own
    column (the values are laid out in the table's order, not the rows')."""
    when = dt.datetime(2026, 11, 23, 22, 0, 5)
    rows = [{"timezone": None, "always_open": bool(i % 2), "free": i % 3 == 0,
             "rank_hint": i, "id": f"00000000-b01c-4000-9000-{i:012d}", "name": TRICKY[i % len(TRICKY)],
             "last_modified": when + dt.timedelta(minutes=i), "organization_id": None,
             "assurer": None if i % 4 else "a person", "country": "US"}
            for i in range(n)]
    with any_app.app_context():
        bulk.insert_rows(Service.__table__, rows)
        db.session.commit()
        got = {r.id: r._mapping for r in db.session.execute(
            select(Service.__table__).where(Service.id.in_([r["id"] for r in rows])))}
        assert len(got) == n
        for row in rows:
            stored = got[row["id"]]
            assert {k: stored[k] for k in row} == row
            assert (stored["status"], stored["revision"], stored["description"],
                    stored["source_language"], stored["is_demo"]) == ("active", 1, "", "en",
                                                                      False)
