"""The audit log: who did what and when, in the log of the member organisation it concerns.

Every entry is written here, so none lacks its member (each member's admins read only their
own log) and none holds more than codes: the detail is cut to 200 characters and never carries
tip content, names or addresses.
"""

from __future__ import annotations

import datetime as dt

from webapp import clock
from webapp.extensions import db
from webapp.models import AuditEntry


def record(action: str, *, member_id: int, staff_id: int | None, tip_id: str | None = None,
           detail: str = "", at: dt.datetime | None = None) -> AuditEntry:
    """Add one entry to the session (the caller commits with the change it records, so the
    change and its entry are stored together or not at all)."""
    entry = AuditEntry(at=at or clock.now(), staff_id=staff_id, action=action[:40],
                       tip_id=tip_id, detail=detail[:200], member_id=member_id)
    db.session.add(entry)
    return entry
