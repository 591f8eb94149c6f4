"""The spreadsheet upload in the staff pages: preview first, then all or nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.sheet_helpers import ROWS, found, write
from tests.staff_helpers import Staff, csrf, sign_in
from webapp.extensions import db
from webapp.models import AuditEntry, Service

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres


def count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Service)) or 0)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_upload_preview_then_import(app: Flask, staff: dict[str, Staff], tmp_path: Path,
                                    kind: str) -> None:
    client = app.test_client()
    sign_in(client, staff["admin"])
    token = csrf(client, "/staff/directory/import")
    path = write(tmp_path, ROWS, kind)
    before = count(app)
    with path.open("rb") as fh:
        resp = client.post("/staff/directory/import", data={"csrf_token": token,
                                                           "sheet": (fh, path.name)},
                           content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:2000]
    assert "New: 3 · Changed: 0 · Unchanged: 0 · With errors: 0" in html
    assert "12 Hidden Lane" not in html  # the preview never shows a confidential street
    assert count(app) == before  # a preview writes nothing
    content = re.search(r'name="content" type="hidden" value="([^"]+)"', html)
    assert content
    resp = client.post("/staff/directory/import/confirm", data={
        "csrf_token": token, "filename": path.name, "content": content.group(1)})
    assert resp.status_code == 200
    assert "3 listings were imported" in resp.get_data(as_text=True)
    assert count(app) == before + 3
    assert "Quillwort Safe House" in found(app, "quillwort")
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "sheet_imported")) is not None


def test_upload_with_a_bad_row_names_it_and_writes_nothing(app: Flask, staff: dict[str, Staff],
                                                          tmp_path: Path) -> None:
    client = app.test_client()
    sign_in(client, staff["admin"])
    token = csrf(client, "/staff/directory/import")
    rows = [dict(r) for r in ROWS]
    rows[2]["latitude"] = "north"
    path = write(tmp_path, rows)
    before = count(app)
    with path.open("rb") as fh:
        resp = client.post("/staff/directory/import", data={"csrf_token": token,
                                                           "sheet": (fh, "ours.csv")},
                           content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "row 3 (file line 4), column &#39;latitude&#39;" in html
    assert "With errors: 1" in html
    assert 'name="content"' not in html  # nothing to confirm
    assert count(app) == before
    with path.open("rb") as fh:
        resp = client.post("/staff/directory/import", data={"csrf_token": token,
                                                           "sheet": (fh, "ours.txt")},
                           content_type="multipart/form-data")
    assert resp.status_code == 400 and "Please choose a .csv or .xlsx file." in \
        resp.get_data(as_text=True)
    forged = client.post("/staff/directory/import/confirm", data={
        "csrf_token": token, "filename": "x.csv", "content": "%%%not base64"})
    assert forged.status_code == 400
    assert count(app) == before


def test_only_admins_import(app: Flask, staff: dict[str, Staff]) -> None:
    client = app.test_client()
    sign_in(client, staff["reviewer"])
    assert client.get("/staff/directory/import").status_code == 403
    assert client.get("/staff/directory/import/template.csv").status_code == 403
    admin = app.test_client()
    sign_in(admin, staff["admin"])
    template = admin.get("/staff/directory/import/template.csv")
    assert template.status_code == 200
    assert template.get_data(as_text=True).startswith("organization,name,categories,")
