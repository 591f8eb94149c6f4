"""`flask directory booklet`: the directory as a printed booklet."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from webapp import fonts
from webapp.booklet import services
from webapp.cli.common import fail, failing_on

group = AppGroup("directory", help="Print the directory.")


@group.command("booklet")
@click.option("--languages", default="en", show_default=True, help="1 or 2 tags, e.g. en,ar")
@click.option("--region", default="", help="A town, region or country code (empty: all).")
@click.option("--categories", default="", help="Kinds of help, e.g. shelter,legal-aid "
              "(empty: all).")
@click.option("--format", "paper", default="a5", show_default=True,
              type=click.Choice(["a5", "half-letter"]))
@click.option("--base-url", default="", help="The site's address for the QR codes "
              "(default: HAVEN_PUBLIC_URL).")
@click.option("--out", required=True, type=click.Path(path_type=Path, dir_okay=False))
def booklet_cmd(languages: str, region: str, categories: str, paper: str, base_url: str,
                out: Path) -> None:
    """Write an A5 (or half-letter) directory booklet from the live listings."""
    from webapp.booklet import render  # fpdf2 loads only when a booklet is drawn

    base = services.site_address(base_url or current_app.config.get("HAVEN_PUBLIC_URL", ""))
    if base is None:
        fail("--base-url (or HAVEN_PUBLIC_URL) must be the site's https:// address: the QR "
             "codes point there")
    with failing_on(services.BookletError, fonts.MissingFont):
        contents = services.collect(services.parse(languages, region, categories, paper, base))
        body = render.render_pdf(contents)
    out.write_bytes(body)
    count = sum(len(e) for _c, e in contents.sections)
    click.echo(f"Wrote {out} ({count} listings, {len(body)} bytes).")
