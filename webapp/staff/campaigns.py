"""Campaign short links for printed posters, and their daily scan counts (aggregate only)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from webapp import i18n
from webapp.directory import taxonomy
from webapp.posters import campaigns
from webapp.staff import auth
from webapp.staff.blueprints import staff_blueprint
from webapp.staff.forms import REQUIRED, TOO_LONG
from webapp.tips.forms import no_control_chars

bp = staff_blueprint("campaigns", __name__)


class CampaignForm(FlaskForm):
    """A named campaign: which page the code opens, in which language."""

    label = StringField(_l("Campaign name (for staff only)"), validators=[
        DataRequired(REQUIRED), Length(max=80, message=TOO_LONG), no_control_chars])
    language = SelectField(_l("Language"), choices=[SelectChoice(loc.tag, loc.native)
                                                    for loc in i18n.LOCALES])
    target = SelectField(_l("The code opens"), choices=[
        SelectChoice("home", _l("The start page")),
        SelectChoice("tip", _l("Report something you saw")),
        *(SelectChoice(t.code, t.label) for t in taxonomy.CATEGORY_TERMS)])


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
    form = CampaignForm(language=i18n.current().tag)  # the page's language first
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
