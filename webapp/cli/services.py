"""`flask services import|export|seed|template|sync`: directory data in and out (HSDS), and
mirroring another HSDS API (exchange/sync.py does the work)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from webapp.cli.common import database_refusal, fail, failing_on, migrate_first
from webapp.exchange import csv_export, importer, preview, sheets, sources, sync
from webapp.exchange import services as exchange
from webapp.extensions import db
from webapp.search import memindex

group = AppGroup("services", help="Import, export and seed directory data (HSDS 3.0).")


@group.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
@click.option("--strict", is_flag=True,
              help="Write nothing if any value would be changed or not kept as given.")
def import_cmd(path: Path, dry_run: bool, strict: bool) -> None:
    """Import HSDS 3.0 JSON (services, organizations, service_at_locations, taxonomies or
    taxonomy terms: one record, a list, an HSDS page, or a folder), an HSDS CSV datapackage
    (its folder or its datapackage.json: every table it lists), or a spreadsheet (.csv or
    .xlsx, one row per service; `services template` prints the headers).

    Everything is validated first; one bad record or row and nothing is written. Every value
    not kept as given is named by its field path; --strict refuses the import for any.
    """
    if path.suffix.lower() in (".csv", ".xlsx") and not path.is_dir():
        _import_sheet(path, dry_run)
        return
    reading = sources.Reading()
    try:
        records = importer.read_records(path, reading)
        if strict and reading.warnings:
            raise importer.ImportError_([importer.STRICT, *reading.warnings])
        with click.progressbar(length=len(records), label="Validating" if dry_run else
                               "Importing", file=sys.stderr) as bar:
            done = importer.import_records(records, current_app.config["HSDS_SCHEMA_DIR"],
                                           dry_run=dry_run, progress=bar.update, strict=strict)
        done.warnings[:0] = reading.warnings  # what reading the files could not keep
        done.notices[:0] = reading.notices
        if dry_run:
            _say_what_changed(done)
            click.echo(f"{done.services} service(s) in {path} are valid; nothing was "
                       "written (dry run).")
            return
    except SQLAlchemyError as exc:
        db.session.rollback()
        _refused_by_database(exc)
    except importer.ImportError_ as exc:
        db.session.rollback()
        _refused(exc.errors)
    _say_what_changed(done)
    click.echo(f"Imported {done.services} service(s) from {path}.")
    memindex.persist()  # workers that start next load the index instead of building it


def _say_what_changed(done: importer.Outcome) -> None:
    """Each value not kept as given, then what was kept but is not used."""
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    for notice in done.notices:
        click.echo(f"note: {notice}", err=True)


def _refused(errors: list[str]) -> NoReturn:
    shown = errors[:50]
    more = len(errors) - len(shown)
    fail("nothing was imported:\n  " + "\n  ".join(shown)
         + (f"\n  … and {more} more" if more > 0 else ""))


def _refused_by_database(exc: SQLAlchemyError) -> NoReturn:
    fail(f"nothing was imported: the database refused it ({database_refusal(exc, 300)})")


def _import_sheet(path: Path, dry_run: bool) -> None:
    """A spreadsheet: preview every row (new / changed / unchanged / error), then write."""
    try:
        plan = preview.plan(path)
        rows = preview.validate(plan, current_app.config["HSDS_SCHEMA_DIR"])
    except importer.ImportError_ as exc:
        db.session.rollback()
        _refused(exc.errors)
    for r in plan.rows:
        extra = f": {', '.join(r.changed)}" if r.changed and r.status == "changed" else ""
        click.echo(f"row {r.number} (file line {r.number + 1})  {r.status:<9}  {r.name}{extra}")
    summary = (f"{plan.count('new')} new, {plan.count('changed')} changed, "
               f"{plan.count('unchanged')} unchanged, {plan.count('error')} with errors")
    db.session.rollback()
    if plan.errors or rows is None:
        _refused(plan.errors)
    if dry_run:
        click.echo(f"{summary}; nothing was written (dry run).")
        return
    try:
        count = importer.commit_rows(rows)
    except SQLAlchemyError as exc:
        _refused_by_database(exc)
    click.echo(f"{summary}; imported {count} service(s) from {path.name}.")
    memindex.persist()


@group.command("template")
@click.argument("path", type=click.Path(path_type=Path), required=False)
def template_cmd(path: Path | None) -> None:
    """Write the spreadsheet template (the column headers and one example row) as CSV to
    PATH, or print it."""
    text = sheets.template_csv()
    if path is None:
        click.echo(text, nl=False)
        return
    path.write_text(text, encoding="utf-8")
    click.echo(f"Wrote the template to {path}.")


@group.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True, help="csv: an HSDS CSV datapackage in the folder PATH.")
def export_cmd(path: Path, fmt: str) -> None:
    """Write every service as HSDS 3.0 JSON (a list) to PATH, validated before writing; to
    a folder, services.json with organizations.json, taxonomies.json and taxonomy_terms.json.
    --format csv: an HSDS CSV datapackage in the folder PATH (one CSV per table and the
    datapackage.json describing them), which imports back as it was.

    Confidential locations carry only their city and coarse point, never the address.
    """
    with failing_on(exchange.ExportError):
        if fmt == "csv":
            count, path = csv_export.export_csv(path, current_app.config["HSDS_SCHEMA_DIR"])
        else:
            count, path = exchange.export_json(path, current_app.config["HSDS_SCHEMA_DIR"])
    click.echo(f"Exported {count} service(s) to {path}.")


@group.command("seed")
def seed_cmd() -> None:
    """Load the default dataset (services_data/) if the directory is empty."""
    migrate_first()  # a fresh database has no schema yet
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    loaded = exchange.seed_if_empty(app)
    click.echo("Seeded the directory." if loaded else "The directory already has services.")


def _since(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("an ISO 8601 date or date-time, such as "
                                 "2026-01-31T09:00:00Z", param_hint="--since") from None
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when


@group.command("sync")
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
