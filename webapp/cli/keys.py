"""`flask keys init`: a member organisation's key pair, which seals its tips."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.cli.common import fail, migrate_first
from webapp.coalition import services as members
from webapp.extensions import db
from webapp.models import OrgKey
from webapp.tips import crypto, services

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
    member = members.by_slug(org)
    if member is None:
        fail(f"--org {org!r}: no such member organisation (see: flask --app app orgs list)")
    if members.current_key(member.id) is not None and not rotate:
        fail(f"{org!r} already has a key (use --rotate to make a new one)")
    strength = current_app.config["HAVEN_PASSPHRASE_KDF"]
    if strength == "interactive":
        argon = crypto.pwhash.argon2id
        ops, mem = argon.OPSLIMIT_INTERACTIVE, argon.MEMLIMIT_INTERACTIVE
    else:
        ops, mem = crypto.PASSPHRASE_OPS, crypto.PASSPHRASE_MEM
    made = crypto.make_org_key(passphrase, ops, mem)
    db.session.add(OrgKey(public_key=made.public_key, sealed_private=made.sealed_private,
                          kdf_salt=made.salt, kdf_ops=made.ops, kdf_mem=made.mem,
                          created_hour=services.hour(), member_id=member.id))
    db.session.commit()
    click.echo(f"Key for {member.slug!r} created. Keep the passphrase safe: no tip sent to "
               "this organisation can be read without it.")
