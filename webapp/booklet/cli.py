"""`flask --app app directory booklet` (see #12, item 3). Each docstring is its help text."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from webapp import fonts
from webapp.booklet import services

directory_cli = AppGroup("directory", help="Print the directory.")


@directory_cli.command("booklet")
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
    from webapp.booklet import render

    base = services.site_address(base_url or current_app.config.get("HAVEN_PUBLIC_URL", ""))
    if base is None:
        raise click.ClickException("--base-url (or HAVEN_PUBLIC_URL) must be the site's "
                                   "https:// address: the QR codes point there")
    try:
        contents = services.collect(services.parse(languages, region, categories, paper, base))
        body = render.render_pdf(contents)
    except services.BookletError as exc:
        raise click.ClickException(str(exc)) from exc
    except fonts.MissingFont as exc:
        raise click.ClickException(str(exc)) from exc
    out.write_bytes(body)
    count = sum(len(e) for _c, e in contents.sections)
    click.echo(f"Wrote {out} ({count} listings, {len(body)} bytes).")
