"""Helpers for coalition tests: a hub, a shelter member running the Fresno shelter listing, a
law-enforcement member, and staff in each, every member with its own passphrase."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient

from tests.staff_helpers import PASSPHRASE, Staff, csrf, sign_in
from webapp.extensions import db

SHELTER_PASS = "shelter passphrase 2026"
POLICE_PASS = "police passphrase 2026"
FRESNO_SHELTER = "eac392e3-23be-5ce1-a35f-20db13d9e971"  # "Fresno Safe Haven House" (example)
FRESNO_PHONE = "(559) 555-0140"
# The example data gives each listing its own organisation, all named "<City> Example Network".
FRESNO_SHELTER_ORG = "d21444b0-0c1a-5643-b2ad-b11bdc2f7899"
OAKLAND_SHELTER_ORG = "b36e036c-2bce-57ce-a0e0-47a2a3deaa2b"


@dataclass
class Coalition:
    """Accounts by name: hub (admin), hubrev (reviewer), shelter (reviewer), police (reviewer).
    """

    staff: dict[str, Staff]


def cli(app: Flask, *args: str) -> str:
    """Run a flask command that must succeed; returns its output."""
    res = app.test_cli_runner().invoke(args=list(args))
    assert res.exit_code == 0, res.output
    return res.output


def coalition(app: Flask) -> Coalition:
    """The hub (the default member), a shelter and the police, each keyed, with staff."""
    from webapp.coalition import services as members
    from webapp.staff import auth

    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    cli(app, "keys", "init", "--passphrase", PASSPHRASE)
    cli(app, "orgs", "add", "fresno-shelter", "--name", "Fresno Safe Haven", "--kind", "shelter",
        "--listings", FRESNO_SHELTER_ORG)
    cli(app, "keys", "init", "--org", "fresno-shelter", "--passphrase", SHELTER_PASS)
    cli(app, "orgs", "add", "police", "--name", "County Police", "--kind", "law-enforcement")
    cli(app, "keys", "init", "--org", "police", "--passphrase", POLICE_PASS)
    out = {}
    with app.app_context():
        ids = {slug: members.by_slug(slug).id  # type: ignore[union-attr]
               for slug in ("default", "fresno-shelter", "police")}
        for name, role, slug in (("hub", "admin", "default"), ("hubrev", "reviewer", "default"),
                                 ("shelter", "reviewer", "fresno-shelter"),
                                 ("police", "reviewer", "police")):
            password = f"{name} password 123"
            _user, secret = auth.create_user(name, password, role, member_id=ids[slug])
            out[name] = Staff(name, password, secret)
        db.session.remove()
    return Coalition(out)


def unlock(client: FlaskClient, passphrase: str) -> None:
    """Unlock this person's organisation keys."""
    token = csrf(client, "/staff/unlock")
    resp = client.post("/staff/unlock", data={"csrf_token": token, "passphrase": passphrase})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]


def signed_in(app: Flask, who: Staff, passphrase: str | None = None) -> FlaskClient:
    """A fresh client signed in as who (and unlocked with passphrase, if given)."""
    client = app.test_client()
    sign_in(client, who)
    if passphrase:
        unlock(client, passphrase)
    return client


def refer(client: FlaskClient, tip_id: str, partner: str, fields: list[str], consent: str,
          reason: str = "Needs a safe place tonight", photos: bool = False) -> object:
    """Post the referral form; returns the response."""
    token = csrf(client, f"/staff/tips/{tip_id}/refer")
    data: dict[str, object] = {"csrf_token": token, "partner": partner, "fields": fields,
                               "reason": reason, "consent": consent}
    if photos:
        data["photos"] = "y"
    return client.post(f"/staff/tips/{tip_id}/refer", data=data)


def referral_id(location: str) -> str:
    """The referral id in a redirect to its page."""
    m = re.search(r"/staff/referrals/([0-9a-f]{32})", location)
    assert m, location
    return m.group(1)
