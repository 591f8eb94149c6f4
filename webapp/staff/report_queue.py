"""The queue of readers' reports: staff read them, fix the listing, and close them."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from webapp.forms import EmptyForm
from webapp.models.reports import OUTCOMES
from webapp.reports import services
from webapp.reports.forms import KIND_CHOICES
from webapp.staff import auth
from webapp.staff.blueprints import staff_blueprint

bp = staff_blueprint("report_queue", __name__)


@bp.route("/reports", endpoint="list")
@auth.roles_required("admin", "reviewer", "editor")
@auth.home_required
def report_queue() -> str:
    """Open reports, listings with several reports first."""
    return render_template("staff/reports.html", rows=services.open_reports(),
                           kinds=dict(KIND_CHOICES), form=EmptyForm())


@bp.route("/reports/<int:report_id>", methods=["POST"], endpoint="close")
@auth.roles_required("admin", "reviewer", "editor")
@auth.home_required
def report_close(report_id: int) -> Response:
    """Close one report as fixed or dismissed; the audit log keeps who and when."""
    outcome = request.form.get("outcome", "")
    if not EmptyForm().validate_on_submit() or outcome not in OUTCOMES:
        abort(400)
    user = auth.current_user()
    try:
        report = services.close_report(report_id, outcome, user.id if user else 0)
    except services.UnknownReport:
        abort(404)
    auth.audit(f"report_{outcome}", detail=f"report={report.id} service={report.service_id}")
    return redirect(url_for("report_queue.list"))
