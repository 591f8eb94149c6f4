"""`flask services sync BASE_URL`: mirror another HSDS API (exchange/sync.py does the work)."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from webapp.cli.common import database_refusal, fail
from webapp.exchange import sync
from webapp.extensions import db
from webapp.search import memindex


def _since(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("an ISO 8601 date or date-time, such as "
                                 "2026-01-31T09:00:00Z", param_hint="--since") from None
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when


@click.command("sync")
@click.argument("base_url", required=False)
@click.option("--since", help="Ask for services modified on or after this ISO 8601 time "
              "(default: from where the last sync of the source got).")
@click.option("--per-page", type=click.IntRange(1, 100), default=sync.PER_PAGE,
              show_default=True, help="Services asked for per page.")
@with_appcontext  # what AppGroup.command adds; this command joins the group by add_command
def sync_cmd(base_url: str | None, since: str | None, per_page: int) -> None:
    """Mirror the services of another HSDS API (BASE_URL, such as
    https://example.org/api/hsds; without it, each of HAVEN_SYNC_SOURCES): added and
    changed ones are written, closed ones retired. A field an editor changed here is never
    overwritten; if the source changed it too, the listing goes to the verification queue
    with the source's value.

    Each page is written whole or not at all: an interrupted sync, run again, goes on from
    the page it stopped at.
    """
    sources = [base_url] if base_url else current_app.config["HAVEN_SYNC_SOURCES"]
    if not sources:
        fail("give BASE_URL, or list the sources in HAVEN_SYNC_SOURCES")
    when = _since(since)
    problems = [p for url in sources for p in _pull(url, when, per_page)]
    if problems:
        fail("\n".join(problems))


def _pull(url: str, since: dt.datetime | None, per_page: int) -> list[str]:
    """Pull one source and print what it did; what went wrong, for the exit status."""
    try:
        done = sync.pull(url, current_app.config["HSDS_SCHEMA_DIR"], since=since,
                         per_page=per_page)
    except sync.SyncError as exc:
        return [f"{exc} (the pages before it are kept; run the sync again to go on)"]
    except SQLAlchemyError as exc:
        db.session.rollback()
        return [f"{url}: the database refused a page ({database_refusal(exc, 300)}); run the "
                "sync again to go on from it"]
    memindex.persist()  # workers that start next load the index instead of building it
    if done.resumed_at:
        click.echo(f"Went on from page {done.resumed_at} of an interrupted sync.")
    for sid, name, fields in done.conflicted:
        click.echo(f"conflict: {sid} ({name}): kept the local {', '.join(fields)}; the "
                   "source's value is in the verification queue")
    source = sync.source_url(url)
    click.echo(f"Synced {source}: {done.added} added, {done.updated} updated, "
               f"{done.retired} retired, {done.conflicts} conflicts, {done.unchanged} "
               f"unchanged ({done.pages} pages).")
    if not done.refusals:
        return []
    shown = done.refusals[:50]
    more = len(done.refusals) - len(shown)
    return [f"{source}: some of its services were not written (not valid HSDS):\n  "
            + "\n  ".join(shown) + (f"\n  … and {more} more" if more > 0 else "")]
