"""`flask posters build`: one printable poster per country, for a print shop."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.exceptions import BadRequest

from webapp.cli.common import fail
from webapp.posters import services

group = AppGroup("posters", help="Print outreach posters, cards and stickers.")


@group.command("build")
@click.option("--languages", default="en", show_default=True, help="1 to 3 tags, e.g. en,es,ar")
@click.option("--format", "fmt", default="a4", show_default=True,
              help="a4, letter, a5, cards, stickers or tearoff")
@click.option("--target", default="home", show_default=True, help="home, tip or a category")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path))
@click.option("--base-url", default="", help="Address printed in the QR code "
              "(default: HAVEN_PUBLIC_URL)")
def posters_build_cmd(languages: str, fmt: str, target: str, out: Path, base_url: str) -> None:
    """Render one poster per country with verified hotlines, into OUT/<country>-<format>.pdf."""
    from webapp.posters import render  # fpdf2 loads only when posters are drawn

    base = (base_url or current_app.config.get("HAVEN_PUBLIC_URL") or "").rstrip("/")
    if not base.startswith(("http://", "https://")):
        fail("give --base-url (or set HAVEN_PUBLIC_URL): the address the QR code opens")
    args = {"languages": languages, "format": fmt, "target": target}
    with current_app.test_request_context(base_url=base):
        countries = services.countries()
        try:
            services.parse({**args, "country": countries[0] if countries else ""})
        except BadRequest as exc:
            fail(getattr(exc, "haven_message", str(exc)))
        out.mkdir(parents=True, exist_ok=True)
        with click.progressbar(countries, label="Rendering") as bar:
            for country in bar:
                req = services.parse({**args, "country": country})
                pdf = render.render_pdf(services.spec_for(req, base))
                (out / f"{country}-{fmt}.pdf").write_bytes(pdf)
    click.echo(f"Wrote {len(countries)} posters to {out}")
