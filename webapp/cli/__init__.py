"""`flask` commands: a module per group, each registered here from one list.

Each command's docstring is its help text. The commands parse options and print; what they do
lives in the area's services, and `common` holds what every group shares.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

from webapp.cli import (
    backup,
    directory,
    keys,
    orgs,
    posters,
    services,
    sms,
    space,
    staff,
    translate,
)

GROUPS: tuple[AppGroup, ...] = (
    services.group,  # import, export and seed directory data
    directory.group,  # print the directory as a booklet
    posters.group,  # print posters, cards and stickers
    orgs.group,  # member organisations of the coalition
    keys.group,  # each member's key that seals tips
    staff.group,  # staff accounts
    space.group,  # shelter space
    sms.group,  # the directory by text message
    backup.group,  # encrypted backups of the whole database
    translate.group,  # the translation catalogues
)


def init_app(app: Flask) -> None:
    """Register every command group."""
    for group in GROUPS:
        app.cli.add_command(group)
