"""`flask staff create-user`: a staff account, made from the server's shell."""

from __future__ import annotations

import re

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.cli.common import fail, failing_on, migrate_first
from webapp.models.staff import ROLES
from webapp.staff import auth, users

group = AppGroup("staff", help="Staff accounts for the tip inbox.")


@group.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="reviewer", show_default=True)
@click.option("--org", "org", default="", help="the organisation (id or exact name) of an "
              "org-editor")
@click.option("--member", default="default", show_default=True,
              help="The member organisation (slug) this person works for: its inbox only.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_cmd(username: str, role: str, org: str, member: str, password: str) -> None:
    """Create a staff account and print its TOTP secret (enrol it in an authenticator app)."""
    if not re.fullmatch(r"[A-Za-z0-9._-]{3,64}", username):
        fail("the username must be 3 to 64 letters, digits, dots or dashes")
    if len(password) < 12:
        fail("the password must have at least 12 characters")
    migrate_first()
    with failing_on(users.AccountError):
        user, secret = users.new_account(username, password, role, org=org, member=member)
    uri = auth.totp_for(user).provisioning_uri(name=username,
                                               issuer_name=current_app.config["HAVEN_APP_NAME"])
    click.echo(f"Created {role} {username!r}.\nTOTP secret (shown once): {secret}\n{uri}")
