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
from webapp.pwa import areas
from webapp.search import search

LOCAL_LISTED = 40  # local lines listed by name; past this, counted and searched by town
CATEGORIES = ["hotline", "emergency"]


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


def hotline_page(home: str) -> HotlinePage:
    """The page for a deployment whose home country is `home`."""
    ids = line_ids()
    where = areas.current().where
    local = [i for i in ids if (place := where.get(i)) is not None
             and (place.region or place.point is not None)]
    if len(local) > LOCAL_LISTED:
        skipped = set(local)
        counts = Counter(where[i].country or home for i in local)
        ids = [i for i in ids if i not in skipped]
    else:
        counts = Counter()
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
