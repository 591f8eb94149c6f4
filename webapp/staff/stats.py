"""The statistics page: tip counts by week, kind and status, drawn on the server."""

from __future__ import annotations

from flask import render_template

from webapp.models.staff import TIP_ROLES
from webapp.staff import auth
from webapp.staff.blueprints import staff_blueprint
from webapp.staff.figures import compute

bp = staff_blueprint("stats", __name__)


@bp.route("/stats", endpoint="index")
@auth.roles_required(*TIP_ROLES)
def stats() -> str:
    """Charts as SVG drawn on the server (no script, no third party)."""
    return render_template("staff/stats.html", **compute(member_id=auth.member_id()))
