"""Mirror another HSDS API (`flask services sync BASE_URL`): its services, page by page, written
through the importer, without ever overwriting what an editor here changed.

A pull asks for every service modified on or after the last one's start (upstream's clock,
from its Date header) with include_inactive=true, so closures arrive too. Each page is one
transaction: its services and the cursor that says the next page. An interrupted pull,
rerun, starts at that page with the same `since`, so it ends where an unbroken one would.

Per service, SyncOrigin keeps a hash of each top-level field as upstream sent it and as Haven
renders it once stored. A rendering that no longer matches means an editor here changed the
field: it keeps the local value, and if upstream changed it too that is a conflict, listed in
the verification queue with upstream's value. Plain values in and out; no request here.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from webapp import clock, collector
from webapp.directory import taxonomy
from webapp.exchange import hsds, importer, sync_merge
from webapp.exchange.sync_merge import Summary
from webapp.extensions import db
from webapp.models import SyncCursor, Taxonomy

PER_PAGE = 100  # the most Haven's API gives in one page
MAX_PAGE_BYTES = 64 * 2**20
TIMEOUT_S = 120
HAVEN_TAXONOMY = taxonomy.taxonomy_id(taxonomy.CATEGORIES)

# url -> (the decoded JSON answer, upstream's clock from its Date header if it sent one)
Fetch = Callable[[str], tuple[Any, dt.datetime | None]]


class SyncError(ValueError):
    """The source cannot be mirrored (unreachable, not an HSDS API); the message says which
    and why. The page being pulled was not written."""


def source_url(base_url: str) -> str:
    """The base URL as the cursor and origins name it (no trailing slash or /services);
    SyncError for anything but an http(s) URL with a host."""
    url = base_url.strip().rstrip("/")
    url = url.removesuffix("/services")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SyncError(f"{base_url!r} is not an http(s) URL of an HSDS API "
                        "(for example https://example.org/api/hsds)")
    return url


def fetch_json(url: str) -> tuple[Any, dt.datetime | None]:
    """GET url as JSON, with upstream's clock; SyncError when it cannot."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise SyncError(f"{url}: only http(s) URLs are fetched")
    # http(s) only (checked above): urllib would also open file: URLs
    req = urllib.request.Request(url, headers={"Accept": "application/json",  # noqa: S310
                                               "User-Agent": "Haven-sync"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310
            body = resp.read(MAX_PAGE_BYTES + 1)
            date = resp.headers.get("Date")
    except urllib.error.HTTPError as exc:
        raise SyncError(f"{url}: the server answered {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SyncError(f"{url}: could not be fetched ({reason})") from exc
    if len(body) > MAX_PAGE_BYTES:
        raise SyncError(f"{url}: the answer is larger than {MAX_PAGE_BYTES} bytes")
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise SyncError(f"{url}: the answer is not JSON, so not an HSDS API") from exc
    when = None
    if date:
        try:
            when = email.utils.parsedate_to_datetime(date).astimezone(dt.UTC)
            when = when.replace(tzinfo=None, microsecond=0)
        except (TypeError, ValueError):
            when = None
    return doc, when


def page_url(source: str, page: int, per_page: int, since: dt.datetime | None) -> str:
    """The list page a pull asks for (HSDS's /services with Haven's include_inactive)."""
    query = {"page": page, "per_page": per_page, "full": "true", "include_inactive": "true"}
    if since is not None:
        query["modified_after"] = hsds.stamp(since)
    return f"{source}/services?{urllib.parse.urlencode(query)}"


def page_items(doc: Any, url: str) -> tuple[list[Any], bool]:
    """(the page's services, whether it is the last page) of an HSDS Page object;
    SyncError for anything else."""
    if not (isinstance(doc, dict) and isinstance(doc.get("contents"), list)
            and (isinstance(doc.get("total_pages"), int)
                 or isinstance(doc.get("last_page"), bool))):
        raise SyncError(f"{url}: the answer is not an HSDS page of services (a JSON object "
                        "with contents and total_pages)")
    items: list[Any] = doc["contents"]
    last = (not items or doc.get("last_page") is True
            or (isinstance(doc.get("total_pages"), int)
                and isinstance(doc.get("page_number"), int)
                and doc["page_number"] >= doc["total_pages"]))
    return items, last


def pull(base_url: str, schema_dir: str, *, since: dt.datetime | None = None,
         per_page: int = PER_PAGE, fetch: Fetch | None = None) -> Summary:
    """Mirror the HSDS API at base_url from where the last pull got (or from `since`),
    resuming an interrupted pull; returns what changed. Commits each page with the cursor;
    SyncError (nothing of the current page written) when the source fails."""
    source = source_url(base_url)
    get = fetch or fetch_json
    cursor = db.session.get(SyncCursor, source)
    if cursor is None:
        cursor = SyncCursor(source=source, next_page=1)
        db.session.add(cursor)
    summary = Summary()
    if cursor.next_page > 1 and (since is None or since == cursor.since):
        summary.resumed_at = cursor.next_page
    else:
        cursor.since = since if since is not None else cursor.mark
        cursor.next_page, cursor.run_mark = 1, None
        cursor.started_at, cursor.finished_at = clock.now(), None
    page = first = cursor.next_page
    # The next page is fetched while this one is written: upstream renders as we write.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="haven-sync")
    ahead = pool.submit(get, page_url(source, page, per_page, cursor.since))
    try:
        while True:
            url = page_url(source, page, per_page, cursor.since)
            try:
                doc, upstream_now = ahead.result()
                items, last = page_items(doc, url)
                if not last:
                    ahead = pool.submit(get, page_url(source, page + 1, per_page, cursor.since))
                with collector.paused():  # see collector.py: none inside the ORM's work
                    done = _write_page(cursor, items, upstream_now, page, last, url,
                                       schema_dir, first_of_run=page == first)
            except BaseException:
                db.session.rollback()
                raise
            summary.add(done.summary)
            summary.pages += 1
            if last:
                return summary
            page += 1
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _write_page(cursor: SyncCursor, items: list[Any], upstream_now: dt.datetime | None,
                page: int, last: bool, url: str, schema_dir: str, *,
                first_of_run: bool) -> sync_merge.PageResult:
    """Write one page and move the cursor past it, in one transaction."""
    if cursor.run_mark is None:
        cursor.run_mark = upstream_now
    if first_of_run and db.session.get(Taxonomy, HAVEN_TAXONOMY) is None:
        # what Haven's own terms link to; never rewritten when present, which would change,
        # under every mirrored service, the term names last fetched
        importer.ensure_taxonomies()
    done = sync_merge.apply_page(items, cursor.source, schema_dir, clock.now(), url)
    if upstream_now is None and done.newest is not None:
        # no clock from upstream: the newest change seen is the next start
        cursor.run_mark = max(cursor.run_mark or done.newest, done.newest)
    cursor.next_page = page + 1
    if last:
        cursor.mark = cursor.run_mark or cursor.since
        cursor.next_page, cursor.finished_at = 1, clock.now()
    db.session.commit()
    return done
