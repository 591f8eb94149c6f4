"""Names of tip statuses and kinds in the reader's language (shared by public and staff pages)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webapp.tips.forms import KIND_CHOICES

STATUS_LABELS = {
    "received": _l("Received"),
    "in_review": _l("In review"),
    "referred": _l("Referred"),
    "closed": _l("Closed"),
}
KIND_LABELS = dict(KIND_CHOICES)


def status_label(code: str) -> str:
    """A status code as words."""
    return str(STATUS_LABELS.get(code, code))


def kind_label(code: str) -> str:
    """A kind code as words."""
    return str(KIND_LABELS.get(code, code))

