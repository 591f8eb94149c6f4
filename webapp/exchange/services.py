"""Directory data in bulk: the default dataset loaded into an empty directory, and every
record written out as HSDS 3.0 JSON (`flask services seed|export`, and first start)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from webapp import collector
from webapp.directory.queries import load_services
from webapp.exchange import hsds, importer
from webapp.extensions import db
from webapp.models import Organization, Service, Taxonomy, TaxonomyTerm
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
    """Write every service, validated, as an HSDS 3.0 JSON list to path; when path is a
    folder, services.json there and, beside it, every organization, taxonomy and taxonomy
    term (organizations.json, taxonomies.json, taxonomy_terms.json: what no service holds is
    exported too). Returns how many services and the file written. Confidential locations
    carry only their city and coarse point (hsds.service_json decides)."""
    ids = db.session.scalars(select(Service.id).order_by(Service.id)).all()
    out = []
    for i in range(0, len(ids), EXPORT_BATCH):
        with collector.paused():  # see collector.py: no collection inside the ORM's work
            for svc in load_services(list(ids[i:i + EXPORT_BATCH])):
                out.append(_valid(schema_dir, "service", svc.id, hsds.service_json(svc)))
    files = {"services.json": out}
    if path.is_dir():
        files.update(_others(schema_dir))
    else:
        files = {path.name: out}
        path = path.parent
    for name, docs in files.items():
        tmp = path / (name + ".part")
        tmp.write_text(json.dumps(docs, ensure_ascii=False, indent=1), encoding="utf-8")
    for name in files:
        (path / (name + ".part")).replace(path / name)  # never a half-written export
    return len(out), path / next(iter(files))


def _valid(schema_dir: str, kind: str, rid: str, doc: dict[str, Any]) -> dict[str, Any]:
    errors = hsds.schema_errors(schema_dir, kind, doc)
    if errors:
        raise ExportError(f"{kind.replace('_', ' ')} {rid} does not validate: {errors[0]}")
    return doc


def _others(schema_dir: str) -> dict[str, list[dict[str, Any]]]:
    """Every organization, taxonomy and term as HSDS JSON, by the file each goes to."""
    return {
        "organizations.json": [
            _valid(schema_dir, "organization", o.id, hsds.organization_json(o, whole=True))
            for o in db.session.scalars(select(Organization).order_by(Organization.id))],
        "taxonomies.json": [
            _valid(schema_dir, "taxonomy", t.id, hsds.taxonomy_json(t))
            for t in db.session.scalars(select(Taxonomy).order_by(Taxonomy.id))],
        "taxonomy_terms.json": [
            _valid(schema_dir, "taxonomy_term", t.id, hsds.term_json(t))
            for t in db.session.scalars(select(TaxonomyTerm).order_by(TaxonomyTerm.id))],
    }
