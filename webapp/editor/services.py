"""Writing listings from the editor: the same checks and the same writer as a
sheet or HSDS import, optimistic locking, a history row and an audit entry in one transaction.
Never touches request or session: routes pass the staff member in."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from webapp import audit_log, clock
from webapp.editor import snapshot
from webapp.editor.snapshot import Snapshot
from webapp.exchange import hsds, importer, preview, sheets
from webapp.exchange.hsds import derived_id
from webapp.extensions import db
from webapp.models import ListingRevision, Organization, Service, StaffUser
from webapp.search import changelog, indexer

_WHERE = re.compile(r"column '(\w+)': (.+)$")
# Kept as they are when the editor saves: fields the form does not show.
_KEEP = ("alternate_name", "interpretation_services", "application_process", "minimum_age",
         "maximum_age", "alert", "haven_source", "haven_example_listing", "haven_rank",
         "assured_date", "assurer_email", "haven_assurer")


@dataclass
class Conflict:
    """Someone saved the listing after this form was opened."""

    current: Snapshot
    revision: int
    fields: list[str]  # where their saved version differs from this form's input
    by: str | None
    at: dt.datetime | None


@dataclass
class Outcome:
    """What a save did: the listing's id, or why nothing was written."""

    service_id: str | None = None
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    conflict: Conflict | None = None

    @property
    def ok(self) -> bool:
        """True when the change was written."""
        return self.service_id is not None and not (self.field_errors or self.errors
                                                    or self.conflict)


def org_id_for(snap: Snapshot) -> str:
    """The organisation the snapshot names: its stored id, or the id a sheet would give it."""
    oid = snap.get("organization_id", "")
    if oid and db.session.get(Organization, oid) is not None:
        return oid
    return derived_id("sheet-org", snap.get("organization", "").strip().casefold())


def _record(sid: str, snap: Snapshot, old: Service | None,
            out: Outcome) -> dict[str, Any]:
    errors: list[str] = []
    rec = sheets.row_to_service(sheets.SheetRow(0, {c: snap.get(c, "") for c in sheets.COLUMNS}),
                                errors, sid=sid)
    for e in errors:
        m = _WHERE.search(e)
        if m:
            out.field_errors.setdefault(m.group(1), []).append(m.group(2))
        else:
            out.errors.append(e)
    if snap.get("status") not in snapshot.STATUSES:
        out.field_errors.setdefault("status", []).append(
            "one of " + ", ".join(snapshot.STATUSES))
    oid = org_id_for(snap)
    rec["organization_id"] = oid
    if db.session.get(Organization, oid) is not None:
        rec.pop("organization", None)  # an existing organisation is linked, never rewritten
    else:
        rec["organization"]["id"] = oid
    rec["status"] = snap.get("status") or "active"
    for key, hsds_key in (("eligibility", "eligibility_description"),
                          ("fees", "fees_description")):
        if snap.get(key, "").strip():
            rec[hsds_key] = snap[key].strip()
    trs = {}
    for locale, tr in snapshot.translations(snap).items():
        texts = {"name": tr["name"].strip(), "description": tr["description"].strip(),
                 "eligibility_description": tr["eligibility"].strip()}
        if any(texts.values()):
            trs[locale] = {k: v for k, v in texts.items() if v}
            if tr["reviewed_on"]:
                trs[locale]["reviewed_on"] = tr["reviewed_on"]
    if trs:
        rec["haven_translations"] = trs
    if old is not None:
        _keep_what_the_form_does_not_show(rec, old)
    return rec


def _keep_what_the_form_does_not_show(rec: dict[str, Any], old: Service) -> None:
    stored = hsds.service_json(old)
    for key in _KEEP:
        if key in stored:
            rec[key] = stored[key]
    digits = {(p["type"], re.sub(r"\D", "", p["number"])): p for p in stored.get("phones", [])}
    for phone in rec["phones"]:
        line = (phone["type"], re.sub(r"\D", "", phone["number"]))
        if line in digits:  # the same line again keeps its id, description and languages
            phone.update({k: v for k, v in digits[line].items() if k != "number"})
        else:
            phone["id"] = derived_id(rec["id"], "phone", *line)
    langs = {lang["code"]: lang for lang in stored.get("languages", [])}
    for lang in rec["languages"]:
        lang.update(langs.get(lang["code"], {}))
    if old.locations and rec.get("service_at_locations"):
        first, sal = old.locations[0], rec["service_at_locations"][0]
        sal["id"], sal["location"]["id"] = first.id, first.location_id
        sal["location"]["addresses"][0]["id"] = first.location.address_id or \
            derived_id(first.location_id, "address")


def save(service_id: str | None, snap: Snapshot, expected: int | None, staff: StaffUser,
         schema_dir: str, action: str = "edited") -> Outcome:
    """Check and write one listing, or nothing; a stale `expected` revision is a conflict."""
    sid = service_id or str(uuid.uuid4())
    out = Outcome()
    old = db.session.get(Service, sid) if service_id else None
    if service_id and old is None:
        out.errors.append("no such listing")
        return out
    before = snapshot.of(old) if old is not None else None
    if old is not None and old.revision != expected:
        out.conflict = conflict(old, snap)
        return out
    rec = _record(sid, snap, old, out)
    if out.field_errors or out.errors:
        return out
    try:
        rows = importer.build_rows([importer.Record("editor", 1, rec, keep_extras=True)],
                                  schema_dir)
    except importer.ImportError_ as exc:
        out.errors.extend(e.split(": ", 2)[-1] for e in exc.errors)
        return out
    reviewers = snapshot.translations(snap)
    for tr_row in rows.translations:
        who = reviewers.get(tr_row["locale"], {}).get("reviewed_by", "")
        tr_row["reviewed_by"] = int(who) if who.isdigit() and tr_row["reviewed_on"] else None
    extra_sals = [{"id": s.id, "service_id": sid, "location_id": s.location_id,
                   "description": s.description} for s in (old.locations[1:] if old else [])]
    rows.sals.extend(extra_sals)  # places the form does not show are kept as they are
    revision = (expected or 0) + 1
    try:
        if old is not None:
            done = db.session.execute(update(Service).where(
                Service.id == sid, Service.revision == expected).values(revision=revision))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                db.session.rollback()
                fresh = db.session.get(Service, sid)
                out.conflict = conflict(fresh, snap) if fresh else None
                return out
        importer.ensure_taxonomies()
        importer.write_rows(rows, bump_revision=False)
        if before is not None and not _has_history(sid):
            _history(sid, None, "before", expected or 1, before)
        written = db.session.get(Service, sid)
        assert written is not None
        after = snapshot.of(written)
        _history(sid, staff, "created" if old is None else action, revision, after)
        changed = snapshot.changed(before or {}, after)
        _audit(staff, f"listing_{'created' if old is None else action}",
               f"service={sid} fields={','.join(changed)}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    out.service_id = sid
    return out


def conflict(current: Service, mine: Snapshot) -> Conflict:
    """What someone else saved, and where it differs from this form's input."""
    theirs = snapshot.of(current)
    last = db.session.execute(
        select(ListingRevision.at, StaffUser.username)
        .outerjoin(StaffUser, StaffUser.id == ListingRevision.staff_id)
        .where(ListingRevision.service_id == current.id)
        .order_by(ListingRevision.id.desc()).limit(1)).first()
    return Conflict(current=theirs, revision=current.revision,
                    fields=[f for f in snapshot.changed(theirs, {**theirs, **mine})
                            if f in mine],
                    by=last[1] if last else None, at=last[0] if last else None)


def _has_history(sid: str) -> bool:
    return db.session.scalar(select(ListingRevision.id).where(
        ListingRevision.service_id == sid).limit(1)) is not None


def _history(sid: str, staff: StaffUser | None, action: str, revision: int,
             snap: Snapshot) -> None:
    db.session.add(ListingRevision(service_id=sid, at=clock.now(),
                                   staff_id=staff.id if staff else None,
                                   action=action, revision=revision,
                                   snapshot=snapshot.dumps(snap)))


def _audit(staff: StaffUser, action: str, detail: str) -> None:
    # In the log of the editor's own member organisation: another member's admins must see
    # their editors' changes, and the hub's must not see every member's.
    audit_log.record(action, member_id=staff.member_id, staff_id=staff.id, detail=detail)


def revert(service_id: str, revision_id: int, expected: int, staff: StaffUser,
           schema_dir: str) -> Outcome:
    """Undo one change: put back the listing as it was just before it."""
    target = db.session.get(ListingRevision, revision_id)
    if target is None or target.service_id != service_id:
        return Outcome(errors=["no such change"])
    prior = db.session.scalar(
        select(ListingRevision).where(ListingRevision.service_id == service_id,
                                      ListingRevision.id < revision_id)
        .order_by(ListingRevision.id.desc()).limit(1))
    if prior is None:
        return Outcome(errors=["this is the first version; there is nothing before it"])
    return save(service_id, snapshot.loads(prior.snapshot), expected, staff, schema_dir,
                action="reverted")


def _direct(service_id: str, expected: int, staff: StaffUser, action: str,
            change: Callable[[Service], None]) -> Outcome:
    """A change that needs no form checks (verify, retire), locked and recorded like a save."""
    svc = db.session.get(Service, service_id)
    if svc is None:
        return Outcome(errors=["no such listing"])
    if svc.revision != expected:
        return Outcome(conflict=conflict(svc, {}))
    if not _has_history(service_id):
        _history(service_id, None, "before", svc.revision, snapshot.of(svc))
    change(svc)
    svc.revision += 1
    _history(service_id, staff, action, svc.revision, snapshot.of(svc))
    _audit(staff, f"listing_{action}", f"service={service_id}")
    db.session.flush()
    if action == "retired":
        svc.last_modified = clock.now()
        indexer.reindex([service_id])  # gone from search and bundles
    else:
        changelog.record_change([service_id])  # bundles show the new "verified on" date
    db.session.commit()
    return Outcome(service_id=service_id)


def verify(service_id: str, expected: int, staff: StaffUser, assurer: str,
           assurer_email: str | None) -> Outcome:
    """"Still accurate": today's date and who said so."""
    def change(svc: Service) -> None:
        svc.assured_date = clock.now().date()
        svc.assurer, svc.assurer_email, svc.assured_by = assurer, assurer_email, staff.id
    return _direct(service_id, expected, staff, "verified", change)


def retire(service_id: str, expected: int, staff: StaffUser) -> Outcome:
    """Hide a listing from the public (status inactive); nothing is deleted. Always possible,
    even when other fields need fixing: a closed shelter must come off at once."""
    def change(svc: Service) -> None:
        svc.status = "inactive"
    return _direct(service_id, expected, staff, "retired", change)


def plan_bytes(data: bytes, filename: str,
               schema_dir: str) -> tuple[preview.Plan, importer.Rows | None]:
    """What importing this uploaded sheet would do; nothing is written."""
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("sheet" + suffix)
        path.write_bytes(data)
        try:
            plan = preview.plan(path)
        except importer.ImportError_ as exc:
            return preview.Plan(errors=[e.replace(path.name, filename) for e in exc.errors]), \
                None
        rows = preview.validate(plan, schema_dir)
    plan.errors = [e.replace(f"{path.name}: ", f"{filename}: ") for e in plan.errors]
    return plan, rows
