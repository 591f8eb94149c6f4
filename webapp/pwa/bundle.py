"""The offline bundle: everything offline search and the detail view need, for one locale.

Built from the same in-memory index the server searches with, so the browser ranks with the
same tokens and weights. Nothing confidential goes in: points are the public (coarse) ones and
no street address is read at all. Services come in the server's tie-break order, so an array
index is the tie-break. Tokens are shared through one table: the vocabulary (sorted, as the
server's typo and prefix lookups see it) first, then the category and exact-name tokens.
A record's fields and the numbers search ranks with are named in contract.py, shipped with it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from babel import Locale
from babel.dates import format_date, get_day_names
from sqlalchemy import select

from webapp import i18n
from webapp.directory import presenters, taxonomy
from webapp.directory.queries import load_services
from webapp.extensions import db
from webapp.models import SearchDoc, Service
from webapp.pwa import contract
from webapp.pwa.contract import FLAGS, part
from webapp.search import indexer, memindex, places, text, vocab
from webapp.space import services as space

TEXT_CHARS = 240  # of a description or eligibility text: the rest is on the online page
TOKENS = contract.POSITION["tokens"]
TIE = contract.POSITION["tie"]
LANGUAGES = contract.POSITION["languages"]
SHOWN_IN = contract.POSITION["shown_in"]


@dataclass
class Records:
    """One locale's service records (all but their tokens), as of one index change."""

    epoch: str
    seq: int
    by_id: dict[str, list[Any]] = field(default_factory=dict)


_records: dict[tuple[str, str], Records] = {}  # (database, locale) -> records
_lock = threading.Lock()


def records(tag: str, idx: memindex.MemIndex) -> dict[str, list[Any]]:
    """The locale's records for the services in idx: kept from the last bundle, re-read only
    for the services a change since touched."""
    key = (db.engine.url.render_as_string(hide_password=True), tag)
    with _lock:
        held = _records.get(key)
        usable = held is not None and held.epoch == idx.epoch and held.seq <= idx.seq
        stale = idx.changed_since(held.seq) if held is not None and usable else None
        if held is None or stale is None:
            held = Records(idx.epoch, idx.seq)
            stale = set(idx.ordinal)
        else:
            held = Records(idx.epoch, idx.seq, dict(held.by_id))
        for sid in stale:
            held.by_id.pop(sid, None)
        listed = [sid for sid in stale if sid in idx.ordinal]
        for start in range(0, len(listed), 500):
            held.by_id.update(read(tag, listed[start:start + 500]))
        _records[key] = held
        return held.by_id


def read(tag: str, ids: list[str]) -> dict[str, list[Any]]:
    """The locale's records of these services (all fields but their tokens), from the
    database."""
    slots: dict[str, tuple[str, list[list[int]]]] = {}
    for sid, encoded in db.session.execute(
            select(SearchDoc.service_id, SearchDoc.slots)
            .where(SearchDoc.service_id.in_(ids), SearchDoc.slots != indexer.NO_SLOTS)):
        week = sorted(indexer.decode_slots(encoded), key=lambda z: (z[1], z[2], z[3], z[0]))
        if week:  # the bundle keeps one zone per service: the first slot's
            slots[sid] = (week[0][0], [part("week", weekday=wd, opens=opens, closes=closes)
                                       for _, wd, opens, closes in week])

    spaces = space.of_services(ids)
    loc = i18n.BY_TAG[tag]
    cat_index = {c: i for i, c in enumerate(taxonomy.CATEGORY_CODES)}
    pop_index = {c: i for i, c in enumerate(taxonomy.POPULATION_CODES)}
    out: dict[str, list[Any]] = {}
    for s in load_services(ids):
        tr = next((t for t in s.translations if t.locale == loc.tag), None)
        name = (tr.name if tr and tr.name else None) or s.name
        desc = (tr.description if tr and tr.description else None) or s.description or ""
        elig = ((tr.eligibility_description if tr and tr.eligibility_description else None)
                or s.eligibility_description or "")
        # Terms and languages in the order the online page lists them.
        cats = [cat_index[t.code] for t in s.terms if t.taxonomy_name == taxonomy.CATEGORIES
                and t.code in cat_index]
        pops = [pop_index[t.code] for t in s.terms if t.taxonomy_name == taxonomy.POPULATIONS
                and t.code in pop_index]
        spoken = list(dict.fromkeys(lang.code for lang in s.languages if lang.code))
        flags = (FLAGS["free"] if s.free else 0) | (
            FLAGS["always_open"] if s.always_open else 0) | (FLAGS["demo"] if s.is_demo else 0)
        points, city, where = [], "", []
        for sal in s.locations:
            place = sal.location
            city = city or place.city or place.region or ""
            # Town, region and whether the address is confidential: never a street.
            where.append(part("places", town=place.city or "", region=place.region or "",
                              confidential=int(bool(place.confidential))))
            if place.public_latitude is not None and place.public_longitude is not None:
                points.append([place.public_latitude, place.public_longitude])
        # The link each number dials, made by the same code as the online page's, so the
        # offline Call button dials exactly what the online one does.
        phones = [part("phones", type=p.type, number=p.number,
                       href=presenters.dial_href(p.number, p.type, s.country))
                  for p in s.phones]
        zone, opening = slots.get(s.id, ("", []))
        out[s.id] = contract.record(
            id=s.id, name=name, description=desc[:TEXT_CHARS], categories=cats,
            populations=pops, languages=spoken, flags=flags, country=s.country or "",
            city=city, points=points, phones=phones, hours=part("hours", zone=zone, week=opening),
            tokens=None,  # filled in per bundle
            verified=s.assured_date.isoformat() if s.assured_date else "",
            eligibility=elig[:TEXT_CHARS],
            # Shelter space as stored; the phone shows it as unknown once older than the
            # contract's freshness window, however old its copy is.
            space=part("space", status=row.status, populations=row.population_list(),
                       updated=space.stamp(row.updated_at))
            if (row := spaces.get(s.id)) is not None else None,
            alert=s.alert or "",
            # The date as the online page writes it (Babel, Gregorian calendar in every
            # locale): the phone's Intl would write Persian dates in the solar calendar and
            # has no Tigrinya month names.
            verified_text=format_date(s.assured_date, "long", locale=loc.babel)
            if s.assured_date else "",
            places=where, source=s.source_url or "", web=web_and_mail(s), tie=None,
            shown_in=part("shown_in", language=shown[0], partial=int(shown[1]))
            if (shown := presenters.shown_in(s, loc.tag)) is not None else None)
    return out


def web_and_mail(s: Service) -> list[str]:
    """The website, its label and the e-mail address as the online page shows them ("" where
    it shows none), as the contract's web parts."""
    org = s.organization
    url = presenters.web_link(s.url or (org.website if org else None)) or ""
    parts = urlsplit(url)  # labelled as ServiceView.url_label: no scheme, "www." or bare "/"
    label = ((parts.hostname or "").removeprefix("www.") + parts.path).rstrip("/")
    return part("web", url=url, label=label,
                email=presenters.mail_address(s.email or (org.email if org else None)) or "")


def reader_words(tag: str, listed: list[list[Any]]) -> dict[str, Any]:
    """The reader's words the detail page needs, from the same sources as the online page:
    category and population labels, language names, weekday names, the list pattern and
    the comma between the times of one day."""
    loc = i18n.BY_TAG[tag]
    patterns = Locale.parse(loc.babel).list_patterns["standard"]
    days = get_day_names("wide", locale=loc.babel)
    with i18n.speaking(tag):
        return {
            "catl": [str(taxonomy.BY_CODE[(taxonomy.CATEGORIES, c)].label)
                     for c in taxonomy.CATEGORY_CODES],
            "popl": [str(taxonomy.BY_CODE[(taxonomy.POPULATIONS, c)].label)
                     for c in taxonomy.POPULATION_CODES],
            "ln": {code: presenters.language_name(code, loc.babel)
                   for code in sorted({c for r in listed for c in r[LANGUAGES]}
                                      | {r[SHOWN_IN][0] for r in listed if r[SHOWN_IN]})},
            "days": [days[d] for d in range(7)],  # Monday first, as the records' slots
            "lp": [patterns.get("2"), patterns["start"], patterns["middle"], patterns["end"]],
            "sep": i18n.separators(tag)[0],  # between the times of one day
        }


def build(tag: str, home_country: str) -> dict[str, Any]:
    """The bundle for one locale (a plain dict; JSON-encoded by the caller)."""
    idx = memindex.current()
    words = idx.vocab.words
    table: dict[str, int] = {w: i for i, w in enumerate(words)}
    extra: list[str] = []
    per_service: dict[int, list[int]] = {}
    for token, ords, classes in idx.each_posting():
        if token not in table:
            table[token] = len(words) + len(extra)
            extra.append(token)
        t = table[token]
        for o, c in zip(ords.tolist(), classes.tolist(), strict=True):
            per_service.setdefault(o, []).extend((t, c))
    by_id = records(tag, idx)
    listed = []
    for o in idx.live_in_order():
        record = list(by_id[idx.ids[o]])
        record[TOKENS] = per_service.get(o, [])
        listed.append(record)
    category_words = [[cw.code, list(cw.tokens)] for cw in vocab.CATEGORY_WORDS]
    body = {
        "contract": contract.shipped(),
        # The weights again where search.js read them before the contract: a phone whose
        # worker has not updated yet reads this bundle with its old script.
        "lang": tag, "home": home_country, "w": list(memindex.WEIGHTS), "nv": len(words),
        "tok": [*words, *extra], "cw": category_words, "sw": sorted(text.STOPWORDS),
        "cat": list(taxonomy.CATEGORY_CODES), "pop": list(taxonomy.POPULATION_CODES),
        "s": listed, **reader_words(tag, listed),
        "places": {k: [v[0], v[1]] for k, v in places.known_places(tag).items()},
    }
    body["v"] = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False)
                               .encode()).hexdigest()[:16]
    return body


def encode(body: dict[str, Any]) -> bytes:
    """Compact JSON."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
