"""What every operation of the HSDS read API shares: its limits, how it reads the query
(ids, page sizes, dates as the OpenAPI document types them) and how it answers a page of
results or an ndjson stream. No routes here: api.py, api_records.py and api_document.py import
it, so none of them imports another."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, jsonify, request, stream_with_context
from sqlalchemy import func, or_, select

from webapp.exchange import capacity
from webapp.extensions import db
from webapp.models import Service, TaxonomyTerm, service_terms
from webapp.search import search
from webapp.space import services as space
from webapp.space.services import SpaceView

VISIBLE = search.VISIBLE_STATUSES
STREAM_CHUNK = 500
MAX_MINIMAL = 10000  # minimal lists aim to fit every service in one call
MAX_PAGE = 100000
MAX_PROXIMITY = 500_000  # metres
# A list of ids separated by commas, each at most 64 characters, at most 100 of them.
ID_LIST = "^[^,]{0,64}(,[^,]{0,64}){0,99}$"


# The HSDS versions this API answers in, each with the profile URI a client may name in its
# Accept header (RFC 6906: application/json;profile="…"). 3.1 only adds to 3.0, so a 3.1
# answer is a 3.0 one with what 3.1 defines: the default stays 3.0 for the clients there are.
PROFILES = {"3.0": "https://docs.openreferral.org/en/3.0/",
            "3.1": "https://docs.openreferral.org/en/3.1/"}
VERSIONS = tuple(PROFILES)
DEFAULT_VERSION = "3.0"
_PROFILE = re.compile(r"""\bprofile\s*=\s*(?:"([^"]*)"|([^\s;,]+))""", re.IGNORECASE)


def hsds_version() -> str:
    """The HSDS version asked for: the hsds_version parameter (another value is a 400), else
    the first profile in the Accept header that names a version this API speaks, else 3.0."""
    asked = request.args.get("hsds_version", "")
    if asked:  # exactly a documented value: " 3.1" or a tab is not one (empty: not asked,
        # as for every optional parameter of this API)
        if asked not in VERSIONS:
            raise search.BadQuery("hsds_version", " or ".join(VERSIONS))
        return asked
    by_uri = {uri.rstrip("/"): v for v, uri in PROFILES.items()}
    for media_range in request.headers.get("Accept", "")[:1000].split(","):
        for quoted, bare in _PROFILE.findall(media_range):
            for uri in (quoted or bare).split():
                if uri.rstrip("/") in by_uri:
                    return by_uri[uri.rstrip("/")]
    return DEFAULT_VERSION


def as_served(services: list[dict[str, Any]], version: str,
              views: dict[str, SpaceView] | None = None) -> list[dict[str, Any]]:
    """Services as render.py made them, as a public answer in this version serves them
    (exchange/capacity.py: no count of places; on 3.1 a full shelter's capacity). views: the
    services' space as already read, else it is read here when the version needs it."""
    if views is None:
        views = space.views([s["id"] for s in services]) if version != "3.0" else {}
    for record in services:
        capacity.served(record, views.get(record["id"]), version)
    return services


def page_object(contents: list[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    """The HSDS Page object around one page of contents."""
    pages = max(1, -(-total // per_page))
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": total == 0,
        "contents": contents,
    }


def _format() -> str:
    value = request.args.get("format") or "json"
    if value not in ("json", "ndjson"):
        raise search.BadQuery("format", "use json or ndjson")
    return value


def search_text() -> str:
    """The search parameter as the document bounds it: at most MAX_QUERY characters, none of
    them a control character (counted as sent: a padded value is still too long)."""
    q = request.args.get("search") or ""
    if len(q) > search.MAX_QUERY:
        raise search.BadQuery("search", f"at most {search.MAX_QUERY} characters")
    if any(ord(c) < 32 for c in q):
        raise search.BadQuery("search", "contains control characters")
    return q.strip()


def id_list(name: str) -> list[str]:
    """A parameter of ids separated by commas (ID_LIST), as search.parse reads them."""
    out = [t.strip() for raw in request.args.getlist(name) for t in raw.split(",") if t.strip()]
    if not re.fullmatch(ID_LIST, ",".join(request.args.getlist(name))):
        raise search.BadQuery(name, "at most 100 ids of at most 64 characters")
    return out


# RFC 3339 (the document's date-time; a full date too, as the search pages take): a
# lower-case t or z, a leap second and year 0000 are valid there but not to fromisoformat.
DATE_TIME = re.compile(r"(\d{4})(-\d\d-\d\d)(?:[Tt ](\d\d:\d\d):(\d\d)(\.\d+)?"
                       r"([Zz]|[+-]\d\d:\d\d)?)?")


def query_args() -> Any:
    """The query as the document types it, for search.parse: ids checked (ID_LIST), page and
    per_page whole numbers, modified_after read as DATE_TIME and handed on as naive UTC (a
    time zone pushing it past year 1 or 9999 clamps there)."""
    for name in ("taxonomy_term_id", "taxonomy_id", "organization_id"):
        id_list(name)
    args = request.args.copy()
    for name in ("page", "per_page"):
        # JSON Schema counts 20.0 as the integer 20, and so may a client; nothing else that
        # Python's int() would take ("+5", " 5", "1_0", other scripts' digits) is an integer.
        value = args.get(name) or ""
        whole = re.fullmatch(r"([0-9]+)(?:\.0*)?", value)
        if whole:
            args[name] = whole.group(1)
        elif value.strip():
            raise search.BadQuery(name, "must be a whole number")
    raw = args.get("modified_after") or ""
    if not raw:
        return args
    m = DATE_TIME.fullmatch(raw)
    try:
        if m is None:
            raise ValueError(raw)
        year, date, hm, sec, frac, zone = m.groups()
        text = f"{max(int(year), 1):04d}{date}"
        if hm:
            zone = "+00:00" if zone in ("Z", "z") else zone or ""
            text += f"T{hm}:{min(int(sec), 59):02d}{frac or ''}{zone}"
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise search.BadQuery("modified_after", "an RFC 3339 date-time "
                              "(2026-01-31T09:00:00Z) or date (2026-01-31)") from None
    if when.tzinfo:
        try:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            when = dt.datetime.min if when.year < 5000 else dt.datetime.max
    args["modified_after"] = on_or_after(when).isoformat()
    return args


def on_or_after(when: dt.datetime) -> dt.datetime:
    """The instant search.parse's strict "modified after" must be given so that it answers
    "modified on or after when", as the HSDS document means it: a mirror asking from the
    time of the newest record it saw must get that record again, not lose its neighbours
    changed in the same second. A datetime counts microseconds, so one less is exact."""
    return when if when == dt.datetime.min else when - dt.timedelta(microseconds=1)


# What a list with include_inactive=true can still be narrowed by: the filters a mirror
# uses, answered in SQL for the records the search index does not hold.
INACTIVE_FILTERS = ("modified_after", "organization_id", "taxonomy_id", "taxonomy_term_id")


def include_inactive(args: Any, params: search.Params) -> bool:
    """include_inactive=true: a list ends with the services the search leaves out (status
    inactive or defunct), with their status, so a mirror learns that a listing closed. Only
    modified_after and the id filters narrow such a list (search ranks only what is listed)."""
    if not search.flag(args, "include_inactive"):
        return False
    if not dataclasses.replace(params, modified_after=None, organization_ids=[],
                               taxonomy_ids=[], term_ids=[], page=1,
                               per_page=20).is_empty():
        raise search.BadQuery("include_inactive", "combines only with "
                              + ", ".join(INACTIVE_FILTERS))
    return True


def inactive_ids(params: search.Params) -> list[str]:
    """The services the search leaves out that match params' modified_after and id filters,
    oldest change first (so paging a mirror's pull stays put as records close)."""
    q = select(Service.id).where(Service.status.not_in(VISIBLE))
    if params.modified_after:
        q = q.where(Service.last_modified > params.modified_after)
    if params.organization_ids:
        q = q.where(Service.organization_id.in_(params.organization_ids))
    if params.term_ids or params.taxonomy_ids:
        linked = select(service_terms.c.service_id).join(
            TaxonomyTerm, TaxonomyTerm.id == service_terms.c.term_id)
        if params.term_ids:
            linked = linked.where(TaxonomyTerm.id.in_(params.term_ids))
        if params.taxonomy_ids:
            linked = linked.where(TaxonomyTerm.taxonomy_id.in_(params.taxonomy_ids))
        q = q.where(Service.id.in_(linked))
    return list(db.session.scalars(q.order_by(Service.last_modified, Service.id)))


def listing(total: int, items: Callable[[int, int], list[dict[str, Any]]], page: int,
            per_page: int) -> Response:
    """One page as an HSDS Page object, or with format=ndjson every item, one per line,
    read STREAM_CHUNK at a time."""
    if _format() == "ndjson":
        def lines() -> Iterator[str]:
            for offset in range(0, total, STREAM_CHUNK):
                for item in items(offset, STREAM_CHUNK):
                    yield json.dumps(item, ensure_ascii=False) + "\n"
        return Response(stream_with_context(lines()), mimetype="application/x-ndjson")
    return jsonify(page_object(items((page - 1) * per_page, per_page), total, page, per_page))


def page_size(default: int = 20, most: int = search.MAX_PER_PAGE) -> tuple[int, int]:
    args = query_args()
    return (search.int_param(args, "page", 1, 1, MAX_PAGE),
            search.int_param(args, "per_page", default, 1, most))


def words_match(columns: list[Any], q: str) -> list[Any]:
    """Every word of q in one of the columns, ignoring case (accents must match: the columns
    are compared as stored, so the words are not folded either)."""
    return [or_(*(func.lower(c).contains(word) for c in columns))
            for word in q.lower().split()[:10]]
