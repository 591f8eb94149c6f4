"""Directory search: one set of semantics for the pages, the API and (mirrored) offline.

A query is folded into terms; each term expands to index tokens (itself, typo neighbours,
longer words it begins, and the category it names in any shipped locale). Services rank by
how many terms they cover, then by weight. The answer comes from the in-memory index
(memindex.py); search_sql.py gives the same answer in SQL and tests hold the two together.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from webapp.directory import geo, taxonomy
from webapp.extensions import db
from webapp.models import Location, ServiceAtLocation
from webapp.search import indexer, memindex, places, vocab
from webapp.search import text as textmod

MAX_QUERY = 200
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
DEFAULT_RADIUS_KM = 50.0
MAX_RADIUS_KM = 500  # the widest `radius` asked for, and how far an empty near search looks
# Categories of a national line: a hotline or emergency number with no place serves every
# place of its country, so a search near a town there finds it (first: it is nearest).
LINE_CATEGORIES = ("hotline", "emergency")
VISIBLE_STATUSES = memindex.VISIBLE_STATUSES
# What a match counts for, by how the query term reached the token (times the field weight).
F_EXACT, F_PREFIX, F_TYPO1, F_TYPO2 = 1.0, 0.7, 0.6, 0.45
PREFIX_MIN_CHARS = 3  # a shorter term would begin too many words to mean any of them


class BadQuery(ValueError):
    """A search parameter that cannot be used; names the parameter."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


@dataclass
class Params:
    """What was asked: text, filters and page."""

    q: str = ""
    categories: list[str] = field(default_factory=list)
    populations: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    free: bool = False
    open_now: bool = False
    always_open: bool = False
    near: tuple[float, float] | None = None
    near_label: str = ""
    near_ignored: str = ""  # a `near` value that names no known place
    radius_km: float = DEFAULT_RADIUS_KM
    term_ids: list[str] = field(default_factory=list)
    taxonomy_ids: list[str] = field(default_factory=list)
    organization_ids: list[str] = field(default_factory=list)
    modified_after: dt.datetime | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def is_empty(self) -> bool:
        """True when nothing at all narrows the directory."""
        return not (self.q or self.categories or self.populations or self.languages
                    or self.free or self.open_now or self.always_open or self.near
                    or self.term_ids or self.taxonomy_ids or self.organization_ids
                    or self.modified_after)


@dataclass
class Result:
    """One page of ranked service ids, the total, and what the query was understood as."""

    ids: list[str]
    total: int
    page: int
    per_page: int
    distances: dict[str, float] = field(default_factory=dict)
    matched_categories: list[str] = field(default_factory=list)
    nearby: int | None = None  # near a point: how many were found by distance (not national)

    @property
    def pages(self) -> int:
        """How many pages the total fills (at least one)."""
        return max(1, -(-self.total // self.per_page))


def flag(args: Any, name: str) -> bool:
    """A yes/no parameter: 1/true/yes/on or 0/false/no/off (empty is no); else BadQuery."""
    value = (args.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise BadQuery(name, "use 1 or 0")


def int_param(args: Any, name: str, default: int, low: int, high: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadQuery(name, "must be a whole number") from exc
    if not low <= value <= high:
        raise BadQuery(name, f"must be between {low} and {high}")
    return value


def _codes(args: Any, name: str, allowed: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for raw in args.getlist(name):
        for code in raw.split(","):
            code = code.strip()
            if not code:
                continue
            if code not in allowed:
                raise BadQuery(name, f"unknown value {code[:40]!r}")
            out.append(code)
    return out


def _ids(args: Any, name: str) -> list[str]:
    """A comma-separated list of record ids (HSDS ids are UUIDs; anything over 64 is wrong)."""
    out = [t.strip() for raw in args.getlist(name) for t in raw.split(",") if t.strip()]
    if any(len(t) > 64 for t in out) or len(out) > 100:
        raise BadQuery(name, "at most 100 ids of at most 64 characters")
    return out


def parse(args: Any, *, lenient_near: bool = False) -> Params:
    """Read search parameters from a query string (pages and API alike). With lenient_near,
    a `near` that names no known place is kept aside (`near_ignored`) instead of refused: a
    person's page still shows results; a program's request is refused with a 400."""
    p = Params()
    q = (args.get("q") or args.get("search") or "").strip()
    if len(q) > MAX_QUERY:
        raise BadQuery("q", f"at most {MAX_QUERY} characters")
    if any(ord(c) < 32 for c in q):
        raise BadQuery("q", "contains control characters")
    p.q = q
    p.categories = _codes(args, "category", taxonomy.CATEGORY_CODES)
    p.populations = _codes(args, "population", taxonomy.POPULATION_CODES)
    for raw in args.getlist("language"):
        for code in raw.split(","):
            code = code.strip().lower()
            if code:
                if len(code) > 20 or not all(ch.isalnum() or ch == "-" for ch in code):
                    raise BadQuery("language", "not a language code")
                p.languages.append(code)
    p.free = flag(args, "free")
    p.open_now = flag(args, "open_now")
    p.always_open = flag(args, "always_open")
    near = (args.get("near") or "").strip()
    if near:
        if len(near) > 100:
            raise BadQuery("near", "too long")
        point = places.point_of(near)
        if point is None and not lenient_near:
            raise BadQuery("near", "give 'latitude,longitude', a known town or a postcode")
        if point is None:
            p.near_ignored = near
        else:
            p.near, p.near_label = point, near
    p.radius_km = float(int_param(args, "radius", int(DEFAULT_RADIUS_KM), 1, MAX_RADIUS_KM))
    p.page = int_param(args, "page", 1, 1, 100000)
    p.per_page = int_param(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    p.term_ids = _ids(args, "taxonomy_term_id")
    p.taxonomy_ids = _ids(args, "taxonomy_id")
    p.organization_ids = _ids(args, "organization_id")
    after = (args.get("modified_after") or "").strip()
    if after:
        try:
            parsed = dt.datetime.fromisoformat(after.replace("Z", "+00:00"))
        except ValueError as exc:
            raise BadQuery("modified_after", "use an ISO 8601 date or date-time") from exc
        if parsed.tzinfo:
            try:
                parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
            except OverflowError:  # a zone pushing it past year 1 or 9999: clamp there
                parsed = dt.datetime.min if parsed.year < 5000 else dt.datetime.max
        p.modified_after = parsed
    return p


def expand(q: str, words: vocab.Vocabulary | None = None,
           ) -> tuple[list[tuple[str, int, float]], list[str], int]:
    """Query text -> (token, term index, factor) rows, matched categories, number of terms."""
    raw = textmod.tokens(q)
    terms = textmod.query_terms(q)
    if words is None:
        words = memindex.current().vocab
    rows: list[tuple[str, int, float]] = []
    matched: list[str] = []
    phrases = vocab.phrase_categories(raw)
    for i, term in enumerate(terms):
        rows.append((term, i, F_EXACT))
        cats = vocab.categories_for(term)
        cats |= {code for code, toks in phrases.items() if term in toks}
        for code in sorted(cats):
            rows.append((indexer.CAT_PREFIX + code, i, F_EXACT))
            if code not in matched:
                matched.append(code)
        if len(term) >= PREFIX_MIN_CHARS:
            rows.extend((w, i, F_PREFIX) for w in words.prefixed(term))
        rows.extend((w, i, F_TYPO1 if d == 1 else F_TYPO2) for w, d in words.near(term))
    n = len(terms)
    if terms:
        rows.append((indexer.exact_key(q), n, F_EXACT))  # a whole-name match covers one more
    return rows, matched, n


def best_factors(rows: list[tuple[str, int, float]]) -> dict[str, tuple[int, float]]:
    """Each expanded token once: the query term it counts for and its best factor."""
    best: dict[str, tuple[int, float]] = {}
    for token, term, factor in rows:
        prev = best.get(token)
        if prev is None or factor > prev[1]:
            best[token] = (term, factor)
    return best


def search(p: Params, *, home_country: str = "", now: dt.datetime | None = None,
           measure: bool = True) -> Result:
    """Run a search and return one page of ranked service ids (from the in-memory index),
    with each one's distance when the search is near a point and measure is true."""
    now = now or dt.datetime.now(dt.UTC)
    idx = memindex.current()
    allowed: np.ndarray | None = None  # a mask over slots, once any filter applies

    def narrow(found: np.ndarray) -> None:
        nonlocal allowed
        allowed = found if allowed is None else allowed & found

    if p.categories:
        narrow(idx.any_of(idx.terms, [(taxonomy.CATEGORIES, c) for c in p.categories]))
    if p.populations:
        narrow(idx.any_of(idx.terms, [(taxonomy.POPULATIONS, c) for c in p.populations]))
    if p.term_ids:
        narrow(idx.any_of(idx.term_ids, p.term_ids))
    if p.taxonomy_ids:
        narrow(idx.any_of(idx.taxonomies, p.taxonomy_ids))
    if p.organization_ids:
        narrow(idx.any_of(idx.organizations, p.organization_ids))
    if p.languages:
        narrow(idx.any_of(idx.languages, p.languages))
    if p.free:
        narrow(idx.mask(idx.free))
    if p.always_open:
        narrow(idx.mask(idx.always_open))
    if p.modified_after:
        after = p.modified_after
        narrow(np.fromiter((m > after for m in idx.modified[:idx.size]), dtype=bool,
                           count=idx.size))
    if p.open_now:
        narrow(idx.open_at(now))
    matched: list[str] = []
    n = idx.size
    keep = allowed
    cov = score = None
    if p.q:
        rows, matched, _terms = expand(p.q, idx.vocab)
        by_term: dict[int, list[tuple[str, float]]] = {}
        for token, (term, factor) in best_factors(rows).items():
            by_term.setdefault(term, []).append((token, factor))
        cov = np.zeros(n, dtype=np.int32)
        score = np.zeros(n)
        for term in sorted(by_term):
            top = np.full(n, -1.0)
            for token, factor in by_term[term]:
                found = idx.posting_arrays(token)
                if found is not None:  # a token's ordinals are unique: plain fancy indexing
                    ords, weights = found
                    top[ords] = np.maximum(top[ords], weights * factor)
            hit = top >= 0
            cov += hit
            score += np.where(hit, top, 0.0)
        selected = cov > 0
        if keep is not None:
            selected &= keep
    else:
        selected = keep if keep is not None else np.ones(n, dtype=bool)
    selected = selected & idx.alive  # slots a later change replaced
    dist = None
    nearby = None
    if p.near:
        lat, lng = p.near
        dist = idx.within(lat, lng, geo.bounding_box(lat, lng, p.radius_km))
        nearby = int(np.count_nonzero(selected & np.isfinite(dist)))
        if home_country:
            national = (idx.any_of(idx.terms, [(taxonomy.CATEGORIES, c) for c in LINE_CATEGORIES])
                        & idx.is_home(home_country) & selected)
            if national.any():  # the points are looked at only when a line is a candidate
                dist = np.where(national & ~idx.placed(), 0.0, dist)
        selected &= np.isfinite(dist)
    cands = np.flatnonzero(selected)
    keys: list[np.ndarray] = [idx.tie[cands]]  # np.lexsort: the last key sorts first
    if home_country:
        keys.append((~idx.is_home(home_country))[cands])
    if dist is not None:
        keys.append(dist[cands])
    if score is not None and cov is not None:
        keys += [-score[cands], -cov[cands]]
    ordered = cands[np.lexsort(keys)]
    total = int(len(cands))
    offset = (p.page - 1) * p.per_page
    ids = [idx.ids[int(o)] for o in ordered[offset:offset + p.per_page]]
    distances: dict[str, float] = {}
    if p.near and ids and measure:
        distances = distances_km(ids, p.near)
    return Result(ids, total, p.page, p.per_page, distances, matched, nearby)


def search_or_wider(p: Params, *, home_country: str = "") -> tuple[Result, float | None]:
    """A search, and when nothing matched near a place, the same search out to MAX_RADIUS_KM
    (the nearest of that kind, further away), with the radius that found nothing. A town
    with no shelter is not a spelling mistake: the person needs the nearest one."""
    result = search(p, home_country=home_country)
    if result.nearby or p.near is None or p.radius_km >= MAX_RADIUS_KM:
        return result, None
    wider = search(dataclasses.replace(p, radius_km=float(MAX_RADIUS_KM)),
                   home_country=home_country)
    return (wider, p.radius_km) if wider.nearby else (result, None)


def ranked_ids(p: Params, *, home_country: str = "") -> list[str]:
    """Every matching service id, best first (the API's lists that page over something else,
    such as service_at_locations, or stream everything)."""
    return search(dataclasses.replace(p, page=1, per_page=10**9), home_country=home_country,
                  measure=False).ids


def distances_km(ids: list[str], point: tuple[float, float]) -> dict[str, float]:
    """Kilometres from the point to each service's nearest public location."""
    rows = db.session.execute(
        select(ServiceAtLocation.service_id, Location.public_latitude, Location.public_longitude)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(ServiceAtLocation.service_id.in_(ids), Location.public_latitude.is_not(None))
    ).all()
    out: dict[str, float] = {}
    for sid, lat, lng in rows:
        if lat is None or lng is None:
            continue
        d = geo.planar_km(point[0], point[1], lat, lng)
        out[sid] = min(d, out.get(sid, d))
    return out

