"""`flask --app app space set|purge` (see #11, item 4). Each docstring is its help text."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp.models.coalition import SPACE_STATUSES
from webapp.space import matching
from webapp.space import services as space

space_cli = AppGroup("space", help="Shelter space: set a shelter's status, purge old requests.")


@space_cli.command("set")
@click.argument("service_id")
@click.argument("status", type=click.Choice(SPACE_STATUSES))
@click.option("--populations", default="", help="Who it can take now, comma-separated: "
              "women, men, minors, families, lgbtq.")
def space_set_cmd(service_id: str, status: str, populations: str) -> None:
    """Set a shelter service's space now (shown with its age; unknown after 48 hours)."""
    from webapp.cli import _migrate_first

    _migrate_first()
    try:
        row = space.set_space(service_id, status, space.parse_populations(populations))
    except space.SpaceError as exc:
        raise click.ClickException(str(exc)) from exc
    pops = ", ".join(row.population_list()) or "-"
    click.echo(f"{service_id}: {row.status} ({pops}) at {space.stamp(row.updated_at)}")


@space_cli.command("purge")
def space_purge_cmd() -> None:
    """Delete space requests older than 30 days (their anonymous outcome stays for the
    statistics). The app also does this as it goes; this is for a quiet deployment."""
    from webapp.cli import _migrate_first

    _migrate_first()
    from webapp.staff.auth import now

    click.echo(f"Purged {matching.purge(now())} request(s).")
