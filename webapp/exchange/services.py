"""Directory data in bulk: the default dataset loaded into an empty directory, and every
service written out as HSDS 3.0 JSON (`flask services seed|export`, and first start)."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from webapp.directory.queries import load_services
from webapp.exchange import hsds, importer
from webapp.extensions import db
from webapp.models import Service
from webapp.search import changelog, memindex

EXPORT_BATCH = 500  # services loaded at once, with their related rows


class ExportError(ValueError):
    """A service does not validate as HSDS 3.0; the message names it. Nothing was written."""


def seed_if_empty(app: Flask) -> bool:
    """Load services_data/ into an empty directory; returns True when it loaded."""
    importer.ensure_taxonomies()
    db.session.commit()
    if db.session.scalar(select(func.count()).select_from(Service)):
        return False
    data = Path(app.config["HAVEN_DATA_DIR"])
    importer.import_path(data, app.config["HSDS_SCHEMA_DIR"])
    demo = db.session.scalar(select(func.count()).where(Service.is_demo.is_(True)))
    changelog.set_meta("demo_loaded", "1" if demo else "0")
    db.session.commit()
    memindex.persist()
    return True


def export_json(path: Path, schema_dir: str) -> tuple[int, Path]:
    """Write every service, validated, as an HSDS 3.0 JSON list to path (services.json inside
    it when it is a folder); returns how many and the file written. Confidential locations
    carry only their city and coarse point (hsds.service_json decides)."""
    ids = db.session.scalars(select(Service.id).order_by(Service.id)).all()
    out = []
    for i in range(0, len(ids), EXPORT_BATCH):
        for svc in load_services(list(ids[i:i + EXPORT_BATCH])):
            doc = hsds.service_json(svc)
            errors = hsds.schema_errors(schema_dir, "service", doc)
            if errors:
                raise ExportError(f"service {svc.id} does not validate: {errors[0]}")
            out.append(doc)
    if path.is_dir():
        path = path / "services.json"
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)  # never a half-written export
    return len(out), path
