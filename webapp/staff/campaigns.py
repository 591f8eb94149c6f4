"""Campaign short links for printed posters, and their daily scan counts (aggregate only)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, render_template, request

from webapp import i18n
from webapp.posters import campaigns
from webapp.staff import auth, forms
from webapp.staff.blueprints import staff_blueprint

bp = staff_blueprint("campaigns", __name__)


def target_path(lang: str, target: str) -> str:
    """The path a campaign opens."""
    if target == "home":
        return f"/{lang}/"
    if target == "tip":
        return f"/{lang}/tip"
    return f"/{lang}/search?category={target}"


@bp.route("/campaigns", methods=["GET", "POST"], endpoint="list")
@auth.login_required
def campaign_list() -> tuple[str, int]:
    """Create campaigns; see scans per day; open the poster builder with the org preset."""
    form = forms.CampaignForm(language=i18n.current().tag)  # the page's language first
    status = 200
    if form.validate_on_submit():
        camp = campaigns.create(form.label.data or "", target_path(form.language.data,
                                                                   form.target.data),
                                auth.member_id())
        auth.audit("campaign_created", detail=f"code={camp.code}")
    elif request.method == "POST":
        status = 400
    preset = {"organisation": current_app.config.get("HAVEN_ORG_NAME", ""),
              "country": current_app.config["HAVEN_COUNTRY"]}
    rows = []
    for camp, total, days in campaigns.totals(auth.member_id()):
        lang = camp.target.split("/")[1]
        query = urlencode({**preset, "languages": lang, "campaign": camp.code})
        rows.append((camp, total, days, f"/{lang}/posters?{query}"))
    return render_template("staff/campaigns.html", form=form, rows=rows), status
