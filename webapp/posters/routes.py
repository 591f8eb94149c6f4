"""Poster builder and shareable poster URLs (PDF, PNG, SVG). Thin: parse, resolve, render."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response as WResponse

from webapp import fonts, i18n
from webapp.directory import taxonomy
from webapp.directory.queries import country_lines
from webapp.posters import campaigns, render

bp = i18n.locale_blueprint("posters", __name__)
short = Blueprint("short", __name__)

MAX_LINES = 3
CONTROL = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
TARGETS = ("home", "tip", *taxonomy.CATEGORY_CODES)


@dataclass
class Request:
    """A parsed poster request."""

    tags: list[str]
    format: str
    target: str
    country: str
    organisation: str
    state_notice: bool
    campaign: str = ""


class BadPoster(BadRequest):
    """A parameter we cannot use; the message names it (shown on the 400 page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.haven_message = message


def countries() -> list[str]:
    """Countries with verified hotlines in the directory."""
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Service

    return sorted(c for c in db.session.scalars(
        select(Service.country).where(Service.is_demo.is_(False)).distinct()) if c)


def parse(args: Any) -> Request:
    """Validate the query; every refusal says which parameter and why."""
    raw = [t.strip() for t in (args.get("languages") or i18n.current().tag).split(",") if t.strip()]
    if not 1 <= len(raw) <= 3 or len(set(raw)) != len(raw):
        raise BadPoster(_("languages: choose 1 to 3 different languages."))
    for tag in raw:
        if tag not in i18n.BY_TAG:
            raise BadPoster(_("languages: “%(value)s” is not a shipped language.", value=tag[:20]))
    fmt = args.get("format", "a4")
    if fmt not in render.FORMATS:
        raise BadPoster(_("format: “%(value)s” is not a format we print.", value=fmt[:20]))
    target = args.get("target", "home")
    if target not in TARGETS:
        raise BadPoster(_("target: “%(value)s” is not a page the code can open.",
                          value=target[:20]))
    country = (args.get("country") or current_app.config["HAVEN_COUNTRY"]).upper()
    if country not in countries():
        raise BadPoster(_("country: “%(value)s” has no verified hotline in this directory.",
                          value=country[:8]))
    org = (args.get("organisation") or "").strip()
    if len(org) > 80 or CONTROL.search(org):
        raise BadPoster(_("organisation: at most 80 characters, no control characters."))
    notice = args.get("mode") == "ca"
    if notice:
        if fmt not in ("letter", "tearoff"):
            raise BadPoster(_("format: the California notice must be US Letter or larger; "
                              "A4 is narrower than %(width)s inches.",
                              width=format_decimal(8.5)))
        if raw[:2] != ["en", "es"] or len(raw) != 3:
            raise BadPoster(_("languages: the California notice needs English, Spanish and "
                              "one more language, in that order."))
    campaign = (args.get("campaign") or "").strip().lower()
    if campaign and campaigns.resolve(campaign) is None:
        raise BadPoster(_("campaign: “%(value)s” is not a campaign code.", value=campaign[:16]))
    missing = fonts.missing_scripts(raw)
    if missing:
        raise BadPoster(_("languages: no font for %(scripts)s is installed on this server.",
                          scripts=", ".join(missing)))
    return Request(raw, fmt, target, country, org, notice, campaign)


def public_base() -> str:
    """The site's address as printed: HAVEN_PUBLIC_URL, else the address this request used."""
    return str(current_app.config.get("HAVEN_PUBLIC_URL") or request.host_url).rstrip("/")


def target_url(req: Request, base: str) -> str:
    """A short URL with no tracking parameters, in the first language (or a campaign code)."""
    if req.campaign:
        return f"{base}/p/{req.campaign}"
    tag = req.tags[0]
    if req.target == "home":
        return f"{base}/{tag}/"
    if req.target == "tip":
        return f"{base}/{tag}/tip"
    return f"{base}/{tag}/search?category={req.target}"


def spec_for(req: Request, base: str | None = None) -> render.Spec:
    """Translate the words into each language and collect the country's numbers."""
    blocks = []
    for tag in req.tags:
        info = i18n.BY_TAG[tag]
        with force_locale(info.babel):
            lines: list[render.Line] = []
            for s in country_lines(req.country):
                for p in s.phones:
                    if p.kind in ("voice", "sms", "text") and len(lines) < MAX_LINES:
                        lines.append(render.Line(p.label, p.number))
            blocks.append(render.Block(
                tag=tag,
                headline=_("Are you being forced to work or to sell sex? You are not alone."),
                body=_("Free, confidential help in your language. You do not have to give "
                       "your name."),
                scan=_("Scan for help in your language"),
                call=_("Need help? Call or scan:"),
                lines=tuple(lines),
            ))
    return render.Spec(req.format, target_url(req, base or public_base()), tuple(blocks),
                       req.organisation,
                       req.state_notice)


@bp.route("/posters")
def builder() -> tuple[str, int]:
    """The builder form; the preview is the PNG of the same URL."""
    try:
        req = parse(request.args)
        error = None
    except BadPoster as exc:
        req, error = None, exc.haven_message
    query = request.query_string.decode()[:500]
    return render_template("posters/builder.html", req=req, error=error, query=query,
                           formats=list(render.FORMATS), targets=TARGETS,
                           countries=countries(), category_terms=taxonomy.CATEGORY_TERMS), \
        (400 if error and request.args else 200)


@bp.route("/posters/poster.<output>")
def poster(output: str) -> Response:
    """poster.pdf / poster.png (300 dpi; preview=1 for 60 dpi) / poster.svg."""
    if output not in ("pdf", "png", "svg"):
        abort(404)
    req = parse(request.args)
    dpi = 60 if request.args.get("preview") == "1" else 300
    try:
        body = render.render(spec_for(req), output, dpi=dpi)
    except render.MissingGlyphs as exc:
        raise BadPoster(_("languages: no font for %(scripts)s is installed on this server.",
                          scripts=", ".join(exc.codepoints[:10]))) from exc
    mime = {"pdf": "application/pdf", "png": "image/png", "svg": "image/svg+xml"}[output]
    resp = Response(body, mimetype=mime)
    resp.headers["Cache-Control"] = "public, max-age=3600"
    resp.headers["Content-Disposition"] = f'inline; filename="haven-{req.format}.{output}"'
    return resp


@bp.app_template_global()
def poster_url(output: str, query: str) -> str:
    """The shareable URL of this poster in another output."""
    return url_for("posters.poster", output=output) + ("?" + query if query else "")


@bp.app_template_global()
def format_label(name: str) -> str:
    """A format's name in the reader's language."""
    return {
        "a4": _("A4 poster"),
        "letter": _("US Letter poster"),
        "a5": _("A5 flyer"),
        "cards": _("Business cards (10 per page, with cut marks)"),
        "stickers": _("Restroom stickers (8 per page)"),
        "tearoff": _("Poster with tear-off tabs"),
    }[name]


@short.route("/p/<code>")
def campaign_link(code: str) -> WResponse:
    """A printed short link: count today's scan (aggregate only) and go to its page."""
    camp = campaigns.resolve(code)
    if camp is None:
        abort(404)
    campaigns.count_scan(camp)
    resp = redirect(camp.target, code=302)
    resp.headers["Cache-Control"] = "no-store"  # every scan reaches the server once
    return resp
