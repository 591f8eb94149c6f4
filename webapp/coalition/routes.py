"""The coalition's statistics page and its CSV export (staff who read tips)."""

from __future__ import annotations

from flask import Response, render_template
from flask_babel import format_date

from webapp.coalition import stats
from webapp.models.staff import TIP_ROLES
from webapp.referrals.forms import STATUS_LABELS, kind_name
from webapp.staff import auth
from webapp.staff.blueprints import staff_blueprint
from webapp.staff.figures import bars, shown

bp = staff_blueprint("coalition", __name__)


@bp.route("/coalition", endpoint="stats")
@auth.roles_required(*TIP_ROLES)
def coalition_stats() -> str:
    """Referrals by partner kind and outcome; space requests by week; median wait."""
    figures = stats.compute()
    return render_template(
        "coalition/stats.html", figures=figures, shown=shown, kind_name=kind_name,
        status_labels=STATUS_LABELS,
        referrals=bars([(format_date(w.start, "d MMM"), w.referrals) for w in figures.weeks]),
        sent=bars([(format_date(w.start, "d MMM"), w.sent) for w in figures.weeks]),
        accepted=bars([(format_date(w.start, "d MMM"), w.accepted) for w in figures.weeks]),
        unmet=shown(figures.unmet))


@bp.route("/coalition/stats.csv", endpoint="csv")
@auth.roles_required(*TIP_ROLES)
def coalition_csv() -> Response:
    """The same figures as CSV (counts under 5 suppressed)."""
    auth.audit("coalition_csv")
    return Response(stats.csv_text(stats.compute()), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="haven-coalition.csv"'})
