"""Public directory pages. Thin: parse, call search/presenters, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as WResponse

from webapp import i18n
from webapp.directory import presenters, taxonomy
from webapp.directory.hotlines import CATEGORIES, country_lines, hotline_page
from webapp.directory.pages import indexing_on, query_args
from webapp.directory.queries import load_services, service_or_404
from webapp.pwa import areas
from webapp.pwa.signs import SIGNS
from webapp.search import memindex, places, search
from webapp.space import services as space

root = Blueprint("directory_root", __name__)
bp = i18n.locale_blueprint("directory", __name__)

# Shared caches may keep public pages, and must ask again each time: a browser that kept a
# results page for minutes showed it offline as if live, and kept it after "Forget this
# device" (which also sends Clear-Site-Data).
PUBLIC_CACHE = "public, no-cache"

# A bad filter is named in the reader's language, by the label its form field carries.
PARAM_LABELS = {
    "q": _l("What do you need?"),
    "search": _l("What do you need?"),
    "category": _l("Kind of help"),
    "population": _l("For"),
    "language": _l("Language spoken"),
    "free": _l("Free of charge"),
    "open_now": _l("Open now"),
    "always_open": _l("Open 24/7"),
    "near": _l("Near (a city, or latitude,longitude)"),
    "radius": _l("Near (a city, or latitude,longitude)"),
    "page": _l("Pages"),
    "per_page": _l("Pages"),
}


@root.route("/")
def pick_locale() -> WResponse:
    """Send the visitor to their language, chosen from Accept-Language (no cookie)."""
    return _to_locale("directory.home")


@root.route("/tip")
def pick_locale_tip() -> WResponse:
    """A poster's code for the tip form: in the phone's language (Accept-Language)."""
    return _to_locale("tips.form")


@root.route("/services/<service_id>")
def pick_locale_listing(service_id: str) -> WResponse:
    """A printed booklet's code for one listing: its page in the phone's language."""
    return _to_locale("directory.detail", service_id=service_id)


@root.route("/search")
def pick_locale_search() -> WResponse:
    """A poster's code for a kind of help: the results in the phone's language."""
    return _to_locale("directory.results", **query_args())


def _to_locale(endpoint: str, **args: Any) -> WResponse:
    loc = i18n.best_match(request.headers.get("Accept-Language"))
    resp = redirect(url_for(endpoint, lang=loc.tag, **args), code=302)
    resp.headers["Cache-Control"] = "no-cache"
    resp.vary.add("Accept-Language")
    return resp


@bp.after_request
def cache_public(response: Response) -> Response:
    """Public pages are the same for everyone: shared caches may keep them, revalidated."""
    response.headers.setdefault("Cache-Control", PUBLIC_CACHE)
    return response


@root.route("/robots.txt")
def robots() -> Response:
    """Plain text; staff, API, short links and tip pages are always disallowed."""
    lines = ["User-agent: *", "Disallow: /staff/", "Disallow: /api/", "Disallow: /p/",
             "Disallow: /sw.js"]
    lines += [f"Disallow: /{loc.tag}/tip" for loc in i18n.LOCALES]
    lines += [f"Disallow: /{loc.tag}/offline" for loc in i18n.LOCALES]
    lines.append("Disallow: /*/report")  # the "something wrong?" forms
    if not indexing_on():
        lines.append("Disallow: /")
    resp = Response("\n".join(lines) + "\n", mimetype="text/plain")
    resp.headers["Cache-Control"] = PUBLIC_CACHE
    return resp


@bp.route("/")
def home() -> str:
    """Country hotlines first, then search and category tiles."""
    country = current_app.config["HAVEN_COUNTRY"]
    return render_template("directory/home.html", lines=country_lines(country),
                           country=country)


@bp.route("/search")
def results() -> tuple[str, int] | str:
    """Search results with filters; works with JavaScript off."""
    try:
        params = search.parse(request.args, lenient_near=True)
    except search.BadQuery as exc:
        label = str(PARAM_LABELS.get(exc.param, exc.param))
        return render_template("directory/results.html", params=None, error=label,
                               result=None, services=[], languages=_language_options()), 400
    result, widened = search.search_or_wider(params,
                                             home_country=current_app.config["HAVEN_COUNTRY"])
    now = dt.datetime.now(dt.UTC)
    services = [presenters.present(s, now=now, distance_km=result.distances.get(s.id))
                for s in load_services(result.ids)]
    matched = [str(taxonomy.BY_CODE[(taxonomy.CATEGORIES, c)].label)
               for c in result.matched_categories]
    return render_template("directory/results.html", params=params, result=result,
                           services=services, matched=matched, error=None,
                           widened=widened, wider=search.MAX_RADIUS_KM if widened else None,
                           languages=_language_options(),
                           spaces=space.views([s.id for s in services]),
                           keep_area=_area_searched(params))


def _area_searched(params: search.Params) -> str | None:
    """Where phones keep the directory by area: the files of the area this search is about
    (near a place, or a town named in the words) and of its country's national lines, for
    the phone to keep. Resolved here from what the person already sent; nothing more leaves
    the phone."""
    if not areas.by_area():
        return None
    point = params.near
    if point is None and params.q:
        found = places.find(params.q.split(), places.known_places())
        point = found[2] if found else None
    held = areas.current()
    area = areas.area_near(held, point) if point is not None else None
    if area is None:
        return None
    kept = [area, areas.national_of(held, area)]
    return " ".join(url_for("pwa.area_directory", lang=i18n.current().tag, area=a)
                    for a in kept if a)


def _language_options() -> list[tuple[str, str]]:
    """Languages some listed service speaks (from the search index: no scan of every
    language row on each results page)."""
    idx = memindex.current()
    codes = [code for code, slots in idx.languages.items()
             if any(idx.alive[o] for o in slots)]
    loc = i18n.current().babel
    return sorted(((c, presenters.language_name(c, loc)) for c in codes), key=lambda x: x[1])


@bp.route("/services/<service_id>")
def detail(service_id: str) -> str:
    """One service: call, text, hours, languages, verification date."""
    service = service_or_404(service_id)
    return render_template("directory/detail.html", s=presenters.present(service),
                           space=space.views([service.id]).get(service.id))


@bp.route("/hotlines")
def hotlines() -> str:
    """Every country's verified lines, grouped by country; local lines by town search once
    there are many."""
    page = hotline_page(current_app.config["HAVEN_COUNTRY"])
    return render_template("directory/hotlines.html", groups=page.groups,
                           examples=page.examples, unlisted=page.unlisted,
                           categories=CATEGORIES)


@bp.route("/signs")
def signs() -> str:
    """Recognise the signs: ILO indicators and the Palermo elements, for a lay reader."""
    return render_template("pages/signs.html", signs=SIGNS)


@bp.route("/privacy")
def privacy() -> str:
    """What Haven does not collect."""
    return render_template("pages/privacy.html")


@bp.route("/about")
def about() -> str:
    """About Haven, and what the language labels mean."""
    return render_template("pages/about.html")


@bp.route("/languages")
def languages() -> str:
    """The language picker as a page, with each catalogue's review status."""
    return render_template("pages/languages.html")
