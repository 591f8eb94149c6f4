"""A listing's editable state as flat text fields: what the editor form shows, what history
stores after each change, and what a revert puts back.

The fields are the spreadsheet columns (so a save goes through the same checks as a sheet
import) plus eligibility, cost and status, and `tr.<locale>.<field>` for translations.
"""

from __future__ import annotations

import json
import re

from webapp.exchange import preview, sheets
from webapp.models import Service

EXTRA = ("eligibility", "fees", "status")
FIELDS = (*sheets.COLUMNS, *EXTRA)
TR_FIELDS = ("name", "description", "eligibility", "reviewed_on", "reviewed_by")
STATUSES = ("active", "temporarily closed", "inactive")
# The columns that can give a confidential place away; the street never leaves.
PLACE_FIELDS = ("address", "postal_code", "latitude", "longitude")
_TR_KEY = re.compile(r"^tr\.([A-Za-z0-9-]{2,20})\.(\w+)$")

Snapshot = dict[str, str]


def tr_key(locale: str, field: str) -> str:
    """'tr.ar.name'."""
    return f"tr.{locale}.{field}"


def of(svc: Service) -> Snapshot:
    """The stored listing as editor fields (includes a confidential street: staff only)."""
    out = dict(preview.service_cells(svc))
    out["eligibility"] = svc.eligibility_description or ""
    out["fees"] = svc.fees_description or ""
    out["status"] = svc.status
    out["organization_id"] = svc.organization_id or ""
    for tr in svc.translations:
        out[tr_key(tr.locale, "name")] = tr.name or ""
        out[tr_key(tr.locale, "description")] = tr.description or ""
        out[tr_key(tr.locale, "eligibility")] = tr.eligibility_description or ""
        out[tr_key(tr.locale, "reviewed_on")] = tr.reviewed_on.isoformat() \
            if tr.reviewed_on else ""
        out[tr_key(tr.locale, "reviewed_by")] = str(tr.reviewed_by or "")
    return out


def translations(snap: Snapshot) -> dict[str, dict[str, str]]:
    """locale -> {name, description, eligibility, reviewed_on, reviewed_by}."""
    out: dict[str, dict[str, str]] = {}
    for key, value in snap.items():
        m = _TR_KEY.match(key)
        if m and m.group(2) in TR_FIELDS:
            out.setdefault(m.group(1), {f: "" for f in TR_FIELDS})[m.group(2)] = value
    return out


def dumps(snap: Snapshot) -> str:
    """Stable JSON for the history table."""
    return json.dumps(snap, ensure_ascii=False, sort_keys=True)


def loads(text: str) -> Snapshot:
    """A stored snapshot (unknown or non-text values dropped)."""
    data = json.loads(text)
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)} \
        if isinstance(data, dict) else {}


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """The fields whose meaning differs, in form order (translations last)."""
    a, b = preview.canonical(_cells(before)), preview.canonical(_cells(after))
    out = [f for f in sheets.COLUMNS if a[f] != b[f]]
    out += [f for f in EXTRA if (before.get(f) or "").strip() != (after.get(f) or "").strip()]
    keys = sorted({k for k in (*before, *after) if k.startswith("tr.")})
    out += [k for k in keys if (before.get(k) or "") != (after.get(k) or "")]
    return out


def _cells(snap: Snapshot) -> dict[str, str]:
    return {c: snap.get(c, "") for c in sheets.COLUMNS}
