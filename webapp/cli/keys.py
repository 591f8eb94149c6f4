"""`flask keys init`: a member organisation's key pair, which seals its tips."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp.cli.common import fail, failing_on, migrate_first
from webapp.coalition import services as members

group = AppGroup("keys", help="The organisation key that protects tips.")


@group.command("init")
@click.option("--passphrase", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The staff passphrase that unlocks tips (asked for if not given).")
@click.option("--rotate", is_flag=True, help="Make a new key even though one exists.")
@click.option("--org", "org", default="default", show_default=True,
              help="The member organisation (slug) whose key this is: each has its own.")
def keys_init_cmd(passphrase: str, rotate: bool, org: str) -> None:
    """Create an organisation's key pair; the private key is stored only under the passphrase.

    Tips already stored stay readable with the key they were sealed to.
    """
    if len(passphrase) < 12:
        fail("the passphrase must have at least 12 characters")
    migrate_first()
    with failing_on(members.MemberError):
        member = members.new_key(org, passphrase, rotate)
    click.echo(f"Key for {member.slug!r} created. Keep the passphrase safe: no tip sent to "
               "this organisation can be read without it.")
