"""`flask space set|purge`: shelter space from the server's shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp import clock
from webapp.cli.common import failing_on, migrate_first
from webapp.models.coalition import SPACE_STATUSES
from webapp.space import matching
from webapp.space import services as space

group = AppGroup("space", help="Shelter space: set a shelter's status, purge old requests.")


@group.command("set")
@click.argument("service_id")
@click.argument("status", type=click.Choice(SPACE_STATUSES))
@click.option("--populations", default="", help="Who it can take now, comma-separated: "
              "women, men, minors, families, lgbtq.")
def space_set_cmd(service_id: str, status: str, populations: str) -> None:
    """Set a shelter service's space now (shown with its age; unknown after 48 hours)."""
    migrate_first()
    with failing_on(space.SpaceError):
        row = space.set_space(service_id, status, space.parse_populations(populations))
    pops = ", ".join(row.population_list()) or "-"
    click.echo(f"{service_id}: {row.status} ({pops}) at {space.stamp(row.updated_at)}")


@group.command("purge")
def space_purge_cmd() -> None:
    """Delete space requests older than 30 days (their anonymous outcome stays for the
    statistics). The app also does this as it goes; this is for a quiet deployment."""
    migrate_first()
    click.echo(f"Purged {matching.purge(clock.now())} request(s).")
