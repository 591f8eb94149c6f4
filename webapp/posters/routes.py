"""Poster builder and shareable poster URLs (PDF, PNG, SVG). Thin: parse, resolve, render."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response as WResponse

from webapp import i18n
from webapp.directory import taxonomy
from webapp.errors import handle_http
from webapp.posters import campaigns, spec
from webapp.posters.services import (
    TARGETS,
    BadPoster,
    NoPublicAddress,
    countries,
    country_numbers,
    no_address_message,
    number_label,
    parse,
    public_base,
    share_query,
    spec_for,
)
from webapp.render_budget import RenderCache, busy_drawing, render_cache, render_slot, render_wait

bp = i18n.locale_blueprint("posters", __name__)
short = Blueprint("posters_short", __name__)

POSTER_MAX_AGE = 3600  # seconds a drawn poster is kept, here and by HTTP caches


@bp.route("/posters")
def builder() -> tuple[str, int]:
    """The builder form; the preview is the PNG of the same URL."""
    try:
        req = parse(request.args)
        error = None
    except BadPoster as exc:
        req, error = None, exc.haven_message
    query = share_query(req) if req and request.args else ""
    country = req.country if req else (request.args.get("country") or
                                       current_app.config["HAVEN_COUNTRY"]).upper()
    numbers = country_numbers(country) if country in countries() else []
    picked = ({n.digits for n in req.numbers} if req else
              {n.digits for n in numbers if n.default})
    chosen = set(req.tags) if req else {i18n.current().tag}
    # Without the public address the page says so and offers nothing to print.
    no_address = None if public_base() else no_address_message()
    target = req.target if req else request.args.get("target", "home")
    return render_template("posters/builder.html", req=req, error=error, query=query,
                           no_address=no_address, target=target,
                           formats=list(spec.FORMATS), targets=TARGETS,
                           countries=countries(), category_terms=taxonomy.CATEGORY_TERMS,
                           numbers=numbers, picked=picked, chosen=chosen,
                           country=country, number_label=number_label), \
        (400 if error and request.args else 200)


@bp.route("/posters/poster.<output>")
def poster(output: str) -> Response:
    """poster.pdf / poster.png (300 dpi; preview=1 for 60 dpi) / poster.svg."""
    if output not in ("pdf", "png", "svg"):
        abort(404)
    req = parse(request.args)
    if public_base() is None:
        # Refused rather than drawn with a guessed or relative address: a poster whose code
        # opens nothing looks fine until someone in need scans it. no-store, so the poster
        # appears as soon as the address is set.
        resp = make_response(handle_http(NoPublicAddress()))
        resp.headers["Cache-Control"] = "no-store"
        return resp
    dpi = 60 if request.args.get("preview") == "1" else 300
    # The same poster asked again (a builder preview, a shared link) is served from memory
    # and costs nothing; a new one counts against the render budget posters, cards, stickers
    # and booklets share.
    key = RenderCache.key("poster", output, str(dpi), share_query(req), public_base() or "")
    body = render_cache().get(key)
    if body is None:
        with render_slot() as free:
            if not free:
                return busy_drawing()
            wait = render_wait()
            if wait:
                resp = make_response(handle_http(TooManyRequests()))
                resp.headers["Retry-After"] = str(int(wait) + 1)
                return resp
            try:
                from webapp.posters import render  # fpdf2 loads on the first poster drawn

                body = render.render(spec_for(req), output, dpi=dpi)
            except spec.MissingGlyphs as exc:
                raise BadPoster(_("languages: no font for %(scripts)s is installed on this "
                                  "server.", scripts=", ".join(exc.codepoints[:10]))) from exc
        render_cache().put(key, body, POSTER_MAX_AGE)
    mime = {"pdf": "application/pdf", "png": "image/png", "svg": "image/svg+xml"}[output]
    resp = Response(body, mimetype=mime)
    resp.headers["Cache-Control"] = f"public, max-age={POSTER_MAX_AGE}"
    resp.headers["Content-Disposition"] = f'inline; filename="haven-{req.format}.{output}"'
    return resp


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
