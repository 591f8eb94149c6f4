"""Derived tables: search docs (tokens and open-now slots per service), the token vocabulary."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, select

from webapp import bulk
from webapp.directory import hours
from webapp.extensions import db
from webapp.models import (
    Location,
    Organization,
    Schedule,
    SearchDoc,
    SearchVocab,
    Service,
    ServiceAtLocation,
    ServiceTranslation,
    TaxonomyTerm,
    service_terms,
)
from webapp.search import places, text
from webapp.search.changelog import lock_seq, new_epoch, record_change

# How much a match in each field counts. A category or an exact name outranks any word.
W_EXACT_NAME = 60.0
W_CATEGORY = 12.0
W_NAME = 6.0
W_CITY = 3.0
W_ORG = 2.5
W_ELIGIBILITY = 1.2
W_DESCRIPTION = 1.0
# Weights are stored in the index as classes (uint8): a new weight must be added here.
WEIGHTS = (W_EXACT_NAME, W_CATEGORY, W_NAME, W_CITY, W_ORG, W_ELIGIBILITY, W_DESCRIPTION)
CLASS_OF = {w: i for i, w in enumerate(WEIGHTS)}
NAME_PREFIX = "name:"
CAT_PREFIX = "cat:"
POP_PREFIX = "pop:"
EXACT_NAME_CHARS = 190  # of a whole name kept in its exact-match token


def exact_key(name: str) -> str:
    """The token that marks a whole-name match (folded, single-spaced)."""
    return NAME_PREFIX + " ".join(text.tokens(name))[:EXACT_NAME_CHARS]


@dataclass
class Doc:
    """What one service's tokens come from (read with Core, not the ORM: see _docs)."""

    name: str = ""
    alternate_name: str | None = None
    description: str | None = None
    eligibility: str | None = None
    organization: str | None = None
    translations: list[tuple[str | None, str | None, str | None]] = field(default_factory=list)
    places: list[str | None] = field(default_factory=list)  # cities and regions
    terms: list[tuple[str, str]] = field(default_factory=list)  # (taxonomy name, code)


def service_tokens(doc: Doc) -> dict[str, float]:
    """Every token of one service with the weight of the best field it appears in.

    Fields go in rising weight, so a token's later (higher) weight simply replaces an earlier
    one: the same result as taking the maximum, without a comparison per token."""
    weights: dict[str, float] = {}

    def add(values: Iterable[str | None], weight: float) -> None:
        for value in values:
            if value:
                weights.update(dict.fromkeys([t[:200] for t in text.tokens(value)], weight))

    add([doc.description, *(d for _n, d, _e in doc.translations)], W_DESCRIPTION)
    add([doc.eligibility, *(e for _n, _d, e in doc.translations)], W_ELIGIBILITY)
    add([doc.organization], W_ORG)
    add(doc.places, W_CITY)
    names = [doc.name] + [name for name, _d, _e in doc.translations if name]
    add([*names, doc.alternate_name], W_NAME)
    for taxonomy_name, code in doc.terms:
        if taxonomy_name == "haven-categories":
            weights[CAT_PREFIX + code] = W_CATEGORY
        elif taxonomy_name == "haven-populations":
            weights[POP_PREFIX + code] = W_CATEGORY
    for name in names:
        key = exact_key(name)
        if len(key) > len(NAME_PREFIX):
            weights[key] = W_EXACT_NAME
    return weights


def encode(weights: dict[str, float]) -> str:
    """A search_doc row's tokens: a JSON object, weights as short numbers."""
    return json.dumps({t: int(w) if w.is_integer() else w for t, w in weights.items()},
                      ensure_ascii=False, separators=(",", ":"))


def decode(tokens: str) -> dict[str, float]:
    """Token -> weight from a search_doc row."""
    found: dict[str, float] = json.loads(tokens)
    return found


Slot = tuple[str, int, int, int]  # zone key, weekday (0 = Monday), opens, closes (minutes)
NO_SLOTS = "{}"


def encode_slots(slots: Iterable[Slot]) -> str:
    """A search_doc row's opening slots: zone -> [[weekday, opens, closes], ...], each zone's
    slots in week order, repeated slots once."""
    zones: dict[str, list[tuple[int, int, int]]] = {}
    for zone, weekday, opens, closes in sorted(set(slots)):
        zones.setdefault(zone, []).append((weekday, opens, closes))
    if not zones:
        return NO_SLOTS
    return json.dumps(zones, ensure_ascii=False, separators=(",", ":"))


def decode_slots(slots: str) -> list[Slot]:
    """(zone, weekday, opens, closes) of every slot in a search_doc row, in week order."""
    if slots == NO_SLOTS:
        return []
    return [(zone, wd, opens, closes) for zone, entries in json.loads(slots).items()
            for wd, opens, closes in entries]


@dataclass
class Sources:
    """Rows the search data of some services is derived from, as plain tuples: read from
    the database (read_sources), or handed over by an import that has just written them."""

    # (id, name, alternate name, description, eligibility, organization name)
    services: list[tuple[str, str, str | None, str | None, str | None, str | None]] = \
        field(default_factory=list)
    # (service id, name, description, eligibility)
    translations: list[tuple[str, str | None, str | None, str | None]] = \
        field(default_factory=list)
    places: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    terms: list[tuple[str, str, str]] = field(default_factory=list)  # sid, taxonomy, code
    # (service id, IANA zone, UTC offset, byday, opens_at, closes_at)
    schedules: list[tuple[str, Any, Any, Any, Any, Any]] = field(default_factory=list)

    def split(self, chunks: list[list[str]]) -> list[Sources]:
        """These rows cut into one Sources per chunk of service ids (one pass)."""
        place = {sid: n for n, chunk in enumerate(chunks) for sid in chunk}
        out = [Sources() for _ in chunks]
        for name in ("services", "translations", "places", "terms", "schedules"):
            for row in getattr(self, name):
                n = place.get(row[0])
                if n is not None:
                    getattr(out[n], name).append(row)
        return out


def read_sources(ids: list[str]) -> Sources:
    """The token sources of these services (at most a chunk), from the database."""
    def rows(stmt: Any) -> list[Any]:
        return [tuple(r) for r in db.session.execute(stmt)]
    return Sources(
        rows(select(Service.id, Service.name, Service.alternate_name, Service.description,
                    Service.eligibility_description, Organization.name)
             .outerjoin(Organization, Organization.id == Service.organization_id)
             .where(Service.id.in_(ids))),
        rows(select(ServiceTranslation.service_id, ServiceTranslation.name,
                    ServiceTranslation.description, ServiceTranslation.eligibility_description)
             .where(ServiceTranslation.service_id.in_(ids))),
        rows(select(ServiceAtLocation.service_id, Location.city, Location.region)
             .join(Location, Location.id == ServiceAtLocation.location_id)
             .where(ServiceAtLocation.service_id.in_(ids))),
        rows(select(service_terms.c.service_id, TaxonomyTerm.taxonomy_name, TaxonomyTerm.code)
             .join(TaxonomyTerm, TaxonomyTerm.id == service_terms.c.term_id)
             .where(service_terms.c.service_id.in_(ids))),
        rows(select(Schedule.service_id, Schedule.tz_name, Schedule.tz_offset, Schedule.byday,
                    Schedule.opens_at, Schedule.closes_at)
             .where(Schedule.service_id.in_(ids))),
    )


def assemble(src: Sources) -> tuple[dict[str, Doc], dict[str, list[Slot]]]:
    """Each service's Doc, and the opening slots of those that have any."""
    docs = {sid: Doc(name or "", alt, desc, elig, org)
            for sid, name, alt, desc, elig, org in src.services}
    for sid, name, desc, elig in src.translations:
        docs[sid].translations.append((name, desc, elig))
    for sid, city, region in src.places:
        docs[sid].places += (city, region, *places.names_of(city))
    for sid, taxonomy_name, code in src.terms:
        docs[sid].terms.append((taxonomy_name, code))
    slots: dict[str, list[Slot]] = {}
    for sid, tz_name, tz_offset, byday, opens, closes in src.schedules:
        key = hours.zone_key(tz_name, tz_offset)
        slots.setdefault(sid, []).extend(
            (key, slot.weekday, slot.opens, slot.closes)
            for slot in hours.slots(byday, opens, closes))
    return docs, slots


# Above this many services a change starts a new index epoch (every worker builds afresh
# once); below it, the change is logged and workers apply it as a delta.
BULK = 2000


def reindex(service_ids: Iterable[str], sources: Sources | None = None,
            stored: set[str] | None = None) -> None:
    """Recompute derived rows for these services, the vocabulary, and record the change
    (more than BULK services: a new epoch instead, every worker builds afresh once).

    sources: these services' rows as just written (an import), saving a read; stored: the
    ones among them that existed before this transaction (None: any may have)."""
    ids = list(dict.fromkeys(service_ids))
    lock_seq()  # first: the old rows read below stay true until this commits
    delta: Counter[str] = Counter()
    chunks = [ids[i:i + 500] for i in range(0, len(ids), 500)]
    given = sources.split(chunks) if sources is not None else None
    for n, chunk in enumerate(chunks):
        store_derived(chunk, derive(read_sources(chunk) if given is None else given[n]), delta,
                      stored)
    finish(ids, delta)


@dataclass
class Derived:
    """The search_doc rows of some services, and the tokens they hold (each once per
    service): what derive computes without the database (an import's worker processes do,
    see exchange/parallel.py) and store_derived writes."""

    docs: list[dict[str, object]] = field(default_factory=list)
    tokens: Counter[str] = field(default_factory=Counter)
    ready: dict[str, bulk.Prepared] = field(default_factory=dict)  # as importer.Rows.ready

    def tables(self) -> list[tuple[Any, list[dict[str, object]]]]:
        """(table, rows) of what store_derived inserts."""
        return [(SearchDoc.__table__, self.docs)]


def derive(src: Sources) -> Derived:
    """These services' derived rows, from their sources alone."""
    docs, slots = assemble(src)
    out = Derived()
    for sid, doc in docs.items():
        weights = service_tokens(doc)
        out.tokens.update(weights.keys())
        out.docs.append({"service_id": sid, "tokens": encode(weights),
                         "slots": encode_slots(slots.get(sid, ()))})
    return out


def store_derived(ids: list[str], new: Derived, delta: Counter[str],
                  stored: set[str] | None = None) -> None:
    """Replace these services' search_doc rows with new; count each token's
    change in document frequency into delta. stored: the services among ids that may have
    such rows already (None: any); a new one's are only inserted."""
    if stored is not None:
        ids = [sid for sid in ids if sid in stored]
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for tokens in db.session.scalars(select(SearchDoc.tokens)
                                         .where(SearchDoc.service_id.in_(chunk))):
            delta.subtract(decode(tokens).keys())
        db.session.execute(delete(SearchDoc).where(SearchDoc.service_id.in_(chunk)))
    delta.update(new.tokens)
    for table, rows in new.tables():
        bulk.insert(table, rows, new.ready)


def finish(ids: list[str], delta: Counter[str]) -> None:
    """After store_derived for these services: the vocabulary, and the change the workers
    apply (a new epoch for more than BULK services)."""
    added, removed = _apply_vocab(delta)
    if len(ids) > BULK:
        new_epoch()
    else:
        record_change(ids, added, removed)


def _apply_vocab(delta: Counter[str]) -> tuple[list[str], list[str]]:
    """Add these changes to the document frequencies; (tokens new to the vocabulary, tokens
    no service has any more). The caller holds index_seq, so counts never race."""
    changed = sorted(t for t, n in delta.items() if n)
    before: dict[str, int] = {}
    for i in range(0, len(changed), 500):
        before.update((t, n) for t, n in db.session.execute(
            select(SearchVocab.token, SearchVocab.df)
            .where(SearchVocab.token.in_(changed[i:i + 500]))))
    after = {t: before.get(t, 0) + delta[t] for t in changed}
    gone = [t for t, n in after.items() if n <= 0 and t in before]
    new = [{"token": t, "df": n} for t, n in after.items() if n > 0 and t not in before]
    kept = [{"t": t, "n": n} for t, n in after.items() if n > 0 and t in before]
    for i in range(0, len(gone), 500):
        db.session.execute(delete(SearchVocab).where(SearchVocab.token.in_(gone[i:i + 500])))
    bulk.insert_rows(SearchVocab.__table__, new)
    if kept:
        table = SearchVocab.__table__
        db.session.execute(table.update().where(table.c.token == bindparam("t"))
                           .values(df=bindparam("n")), kept)
    return sorted(str(r["token"]) for r in new), sorted(gone)


def rebuild_vocab() -> None:
    """Recount token -> document frequency from every search_doc row, and start a new index
    epoch (the check that the per-change counts are right, and a repair)."""
    counts: Counter[str] = Counter()
    for tokens in db.session.scalars(select(SearchDoc.tokens)):
        counts.update(decode(tokens).keys())
    db.session.execute(delete(SearchVocab))
    bulk.insert_rows(SearchVocab.__table__, [{"token": t, "df": n} for t, n in counts.items()])
    new_epoch()
