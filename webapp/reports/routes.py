"""The public "Something wrong with this listing?" form. Thin: parse, call services, render.

No cookie: like the tip form it is a plain POST refused from other sites, and a flood is
slowed by the rotating client tag, which lives only in memory.
"""

from __future__ import annotations

from flask import Response, current_app, render_template, request

from webapp import i18n
from webapp.directory import presenters
from webapp.directory.queries import service_or_404
from webapp.errors import too_many
from webapp.reports import forms, services
from webapp.security import client_tag, limiter, same_origin_posts_only

bp = i18n.locale_blueprint("reports", __name__)
bp.before_request(same_origin_posts_only)


@bp.after_request
def private(response: Response) -> Response:
    """The form is the same for everyone, but what a reader wrote is never cached."""
    response.headers["Cache-Control"] = "no-store" if request.method == "POST" \
        else "private, no-cache"
    return response


@bp.route("/services/<service_id>/report", methods=["GET", "POST"])
def report(service_id: str) -> Response | tuple[str, int]:
    """Show the form; on POST keep the report and thank the reader."""
    s = presenters.present(service_or_404(service_id))
    form = forms.ReportForm(request.form if request.method == "POST" else None)
    if request.method == "GET":
        return render_template("reports/form.html", s=s, form=form), 200
    limit = current_app.config["HAVEN_REPORTS_PER_HOUR"]
    if limiter.blocked("report", client_tag(), limit, 3600):
        return too_many(60)
    if not form.validate():
        return render_template("reports/form.html", s=s, form=form), 400
    limiter.hit("report", client_tag(), limit, 3600)
    services.create_report(s.id, form.kind.data or "other", form.note.data or "",
                           i18n.current().tag)
    return render_template("reports/thanks.html", s=s), 201
