"""The hotlines page's content: every country's lines that serve the whole country, and the
local ones (a town's or a region's line) while they are few enough to list.

A national directory holds thousands of local lines (a 211 network has one per county). Listed
on one page they made it hundreds of kilobytes, and the page is in every phone's offline shell.
Past LOCAL_LISTED they are counted per country instead, with a search that finds them by town.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from webapp.directory import presenters
from webapp.directory.pages import country_name
from webapp.directory.queries import load_services
from webapp.extensions import db
from webapp.pwa import areas
from webapp.pwa.partition import Place
from webapp.search import search

LOCAL_LISTED = 40  # local lines listed by name; past this, counted and searched by town
FIRST_SCREEN = 20  # lines a home or tip page lists (the first two, then "More hotlines")
CATEGORIES = list(search.LINE_CATEGORIES)


@dataclass
class HotlinePage:
    """What /hotlines shows: sourced lines by country (home first), example listings, and how
    many local lines each country has that are not listed (found by searching a town)."""

    groups: list[tuple[str, list[presenters.ServiceView]]] = field(default_factory=list)
    examples: list[presenters.ServiceView] = field(default_factory=list)
    unlisted: list[tuple[str, int]] = field(default_factory=list)


def line_ids() -> list[str]:
    """Every listed hotline and emergency number, in search order (from the index)."""
    p = search.Params(categories=list(CATEGORIES), per_page=search.MAX_PER_PAGE)
    ids: list[str] = []
    while True:
        res = search.search(p)
        ids += res.ids
        if p.page >= res.pages:
            return ids
        p.page += 1


@dataclass(frozen=True)
class Lines:
    """Every line in search order, and the local ones not listed by name (none while there
    are at most LOCAL_LISTED): worked out once per change to the directory, since the home
    page asks on every visit."""

    ids: list[str]
    unlisted: frozenset[str]
    where: dict[str, Place]  # each line's place (country, region, town, point)


_held: dict[str, tuple[str, Lines]] = {}


def lines_now() -> Lines:
    """The lines of the directory as it is now (see Lines)."""
    held = areas.current()
    key = db.engine.url.render_as_string(hide_password=True)
    version = f"{areas.version(held)}/{LOCAL_LISTED}"
    kept = _held.get(key)
    if kept is not None and kept[0] == version:
        return kept[1]
    ids = line_ids()
    local = [i for i in ids if (place := held.where.get(i)) is not None
             and (place.region or place.point is not None)]
    lines = Lines(ids, frozenset(local) if len(local) > LOCAL_LISTED else frozenset(),
                  {i: held.where[i] for i in ids if i in held.where})
    _held[key] = (version, lines)
    return lines


def country_lines(country: str) -> list[presenters.ServiceView]:
    """A country's hotlines and emergency numbers (verified data) for a first screen, most
    important first: its national lines, and its local ones by the hotlines page's rule
    (listed while few; past that, a town search finds them)."""
    lines = lines_now()
    ids = [i for i in lines.ids if i not in lines.unlisted
           and (place := lines.where.get(i)) is not None
           and place.country.upper() in (country.upper(), "")]  # a first cut, before loading
    found = [s for s in load_services(ids) if s.country == country]
    return [presenters.present(s) for s in found[:FIRST_SCREEN]]


def hotline_page(home: str) -> HotlinePage:
    """The page for a deployment whose home country is `home`."""
    lines = lines_now()
    ids = [i for i in lines.ids if i not in lines.unlisted]
    counts = Counter(lines.where[i].country or home for i in lines.unlisted if i in lines.where)
    page = HotlinePage()
    groups: dict[str, list[presenters.ServiceView]] = {}
    for s in load_services(ids):
        view = presenters.present(s)
        if s.is_demo:
            page.examples.append(view)  # never under the "checked against a source" promise
        elif s.country:
            groups.setdefault(s.country, []).append(view)
    # The home country first, then the others by their name in the reader's language.
    def order(c: str) -> tuple[bool, str]:
        return (c != home, presenters.sort_key(country_name(c)))

    page.groups = [(c, groups[c]) for c in sorted(groups, key=order)]
    page.unlisted = [(c, counts[c]) for c in sorted(counts, key=order)]
    return page
