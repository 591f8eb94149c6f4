"""What a printed directory booklet holds: the listings of a region and of
some kinds of help, read from the live directory, each as the reader of each language sees it.
Never a confidential street: only the presenter's public fields are used (name, phones,
hours, town)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, or_, select

from webapp import i18n
from webapp.directory import presenters, taxonomy
from webapp.directory.hotlines import country_lines
from webapp.directory.queries import first_lines, load_services
from webapp.extensions import db
from webapp.models import Location, Service, ServiceAtLocation, TaxonomyTerm

MAX_LISTINGS = 400
MAX_LANGUAGES = 2


class BookletError(ValueError):
    """The request cannot make a booklet; `field` and the message say why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass
class Request:
    """What to print: the languages (1 or 2), a region (town, region or country code; empty:
    everything), the kinds of help (empty: all), the paper, and the site's address for QR."""

    languages: list[str]
    region: str = ""
    categories: list[str] = field(default_factory=list)
    paper: str = "a5"
    base_url: str = ""


@dataclass
class Entry:
    """One listing, as each language's reader sees it."""

    id: str
    category: str
    views: dict[str, presenters.ServiceView]


@dataclass
class Contents:
    """Everything the renderer draws."""

    request: Request
    lines: list[Entry]  # the emergency number, then the national hotline
    sections: list[tuple[str, list[Entry]]]  # category code -> its listings
    checked_on: dt.date


def site_address(configured: str) -> str | None:
    """The site's address that QR codes and the cover print: HAVEN_PUBLIC_URL without its
    trailing slash, or None when it is not an http(s) address. Never the address a request
    came in by: behind a proxy that is an inner one (127.0.0.1:5077), and a Host header is the
    sender's to choose, so a cached booklet could print someone else's site."""
    base = configured.strip().rstrip("/")
    return base if re.match(r"https?://[^/\s]+", base) else None


def parse(languages: str, region: str, categories: str, paper: str = "a5",
          base_url: str = "") -> Request:
    """Check what was asked (BookletError names the parameter and the problem)."""
    tags = [t.strip() for t in languages.split(",") if t.strip()]
    if not 1 <= len(tags) <= MAX_LANGUAGES or len(set(tags)) != len(tags):
        raise BookletError("languages", "choose 1 or 2 different languages")
    wrong = [t for t in tags if t not in i18n.BY_TAG]
    if wrong:
        raise BookletError("languages", f"{wrong[0]!r} is not a shipped language "
                                        f"({', '.join(i18n.BY_TAG)})")
    codes = [c.strip() for c in categories.split(",") if c.strip()]
    unknown = [c for c in codes if c not in taxonomy.CATEGORY_CODES]
    if unknown:
        raise BookletError("categories", f"{unknown[0]!r} is not a kind of help "
                                         f"({', '.join(taxonomy.CATEGORY_CODES)})")
    if paper not in ("a5", "half-letter"):
        raise BookletError("format", "a5 or half-letter")
    region = " ".join(region.split())
    if len(region) > 80:
        raise BookletError("region", "at most 80 characters")
    return Request(tags, region, codes, paper, base_url.rstrip("/"))


def _ids(req: Request) -> list[str]:
    query = select(Service.id).where(Service.status == "active")
    if req.region:
        folded = req.region.casefold()
        in_place = select(ServiceAtLocation.service_id).join(
            Location, Location.id == ServiceAtLocation.location_id).where(or_(
                func.lower(Location.city) == folded, func.lower(Location.region) == folded))
        query = query.where(or_(Service.id.in_(in_place),
                                func.lower(Service.country) == folded))
    if req.categories:
        query = query.where(Service.terms.any(TaxonomyTerm.code.in_(req.categories)))
    return list(db.session.scalars(query.order_by(Service.name, Service.id)
                                   .limit(MAX_LISTINGS + 1)))


def collect(req: Request, today: dt.date | None = None) -> Contents:
    """Read the listings and lines for a booklet (BookletError when there are too many)."""
    ids = _ids(req)
    if len(ids) > MAX_LISTINGS:
        raise BookletError("region", f"more than {MAX_LISTINGS} listings: choose a smaller "
                                     "region or fewer kinds of help")
    services = load_services(ids)
    country = current_app.config["HAVEN_COUNTRY"]
    lines: dict[str, dict[str, presenters.ServiceView]] = {}  # id -> language -> view
    views: dict[str, dict[str, presenters.ServiceView]] = {}
    order: list[tuple[str, str]] = []  # (id, category) of the lines, as the first language has
    for tag in req.languages:
        with i18n.speaking(tag):
            for line in first_lines(country_lines(country))[0]:
                lines.setdefault(line.id, {})[tag] = line
                if tag == req.languages[0]:
                    order.append((line.id, line.categories[0][0] if line.categories else ""))
            for s in services:
                views.setdefault(s.id, {})[tag] = presenters.present(s)
    wanted = req.categories or list(taxonomy.CATEGORY_CODES)
    sections: dict[str, list[Entry]] = {c: [] for c in wanted}
    for s in services:
        codes = [t.code for t in s.terms if t.taxonomy_name == taxonomy.CATEGORIES]
        home = next((c for c in wanted if c in codes), None)
        if home is not None:  # each listing once, under its first kind of help
            sections[home].append(Entry(s.id, home, views[s.id]))
    # A line each language has (the same search in each: only a change between the reads
    # could differ); drawn in every language, as listings are.
    cover = [Entry(sid, code, lines[sid]) for sid, code in order
             if len(lines[sid]) == len(req.languages)]
    return Contents(req, cover, [(c, e) for c, e in sections.items() if e],
                    today or dt.date.today())
