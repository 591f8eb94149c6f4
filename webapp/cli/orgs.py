"""`flask orgs add|edit|list`: the member organisations sharing this Haven."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp.cli.common import failing_on, migrate_first
from webapp.coalition import services
from webapp.models.coalition import MEMBER_KINDS

group = AppGroup("orgs", help="Member organisations of the coalition sharing this Haven.")


@group.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="The organisation's name, as staff know it.")
@click.option("--kind", required=True, type=click.Choice(MEMBER_KINDS))
@click.option("--listings", default="", help="The directory organisation whose listings it "
              "runs (a shelter's services, for shelter space): its id or exact name, or the id "
              "or exact name of one of its listings. When several organisations share the "
              "name, the error lists their ids.")
def orgs_add_cmd(slug: str, name: str, kind: str, listings: str) -> None:
    """Add a member organisation; then give it a key: flask --app app keys init --org SLUG."""
    migrate_first()
    with failing_on(services.MemberError):
        member = services.add(slug, name, kind, listings)
    click.echo(f"Added {member.kind} {member.slug!r} ({member.name}). Next: "
               f"flask --app app keys init --org {member.slug}")


@group.command("edit")
@click.argument("slug")
@click.option("--name", default="", help="A new name.")
@click.option("--kind", default="", help=f"A new kind: {', '.join(MEMBER_KINDS)}.")
@click.option("--listings", default="", help="The directory organisation whose listings it "
              "runs: its id or exact name, or the id or exact name of one of its listings.")
def orgs_edit_cmd(slug: str, name: str, kind: str, listings: str) -> None:
    """Rename a member organisation, change its kind or link it to its listings."""
    migrate_first()
    with failing_on(services.MemberError):
        member = services.edit(slug, name, kind, listings)
    click.echo(f"{member.slug}: {member.kind}, {member.name}")


@group.command("list")
def orgs_list_cmd() -> None:
    """Every member organisation: slug, kind, whether it has a key, name."""
    migrate_first()
    hub = services.hub()
    for m, has_key in services.roster():
        flags = ("key" if has_key else "no key") + (", hub" if hub and hub.id == m.id else "")
        click.echo(f"{m.slug}\t{m.kind}\t{flags}\t{m.name}")
