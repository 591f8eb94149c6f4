"""A coalition on one Haven: member organisations with their own keys and inboxes, sealed
referrals, shelter space with private links, space requests without names, and statistics."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from nacl.exceptions import CryptoError
from sqlalchemy import func, select

from tests.coalition_helpers import (
    FRESNO_PHONE,
    FRESNO_SHELTER,
    OAKLAND_SHELTER_ORG,
    POLICE_PASS,
    SHELTER_PASS,
    cli,
    coalition,
    refer,
    referral_id,
    signed_in,
)
from tests.db_helpers import raw_database
from tests.staff_helpers import PASSPHRASE, Staff, csrf
from tests.tips_helpers import jpeg, send_tip
from webapp.extensions import db
from webapp.models import (
    AuditEntry,
    Member,
    OrgKey,
    Referral,
    Service,
    ServiceSpace,
    SpaceAnswer,
    SpaceOutcome,
    SpaceRequest,
    StaffUser,
    Tip,
)

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

WHAT = "SENTINEL-WHAT three workers locked in"
WHERE = "SENTINEL-WHERE 12 Orchard Road"
PEOPLE = "SENTINEL-PEOPLE two women, one teenager"
CONTACT = "SENTINEL-CONTACT call after 9pm"
REASON = "SENTINEL-REASON she needs a bed tonight"


def _tip(app: Flask) -> str:
    client = app.test_client()
    resp = send_tip(client, what=WHAT, where=WHERE, people=PEOPLE, contact=CONTACT,
                    photos=[(jpeg(), "a.jpg")])
    assert resp.status_code == 201, resp.get_data(as_text=True)[:300]
    with app.app_context():
        return str(db.session.scalar(select(Tip.id).order_by(Tip.created_hour.desc())))


def _keys(app: Flask, slug: str, passphrase: str) -> list[object]:
    from webapp.tips import crypto

    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.slug == slug))
        assert member is not None
        return [crypto.open_org_key(passphrase, k.sealed_private, k.kdf_salt, k.kdf_ops,
                                    k.kdf_mem)
                for k in db.session.scalars(select(OrgKey).where(OrgKey.member_id == member.id))]


def test_member_cli_names_every_problem(app: Flask) -> None:
    cli(app, "orgs", "add", "legal-aid", "--name", "Valley Legal Aid", "--kind", "legal")
    cli(app, "orgs", "add", "fresno", "--name", "Fresno Safe Haven", "--kind", "shelter",
        "--listings", "d21444b0-0c1a-5643-b2ad-b11bdc2f7899")
    listed = cli(app, "orgs", "list")
    assert "legal-aid\tlegal\tno key\tValley Legal Aid" in listed
    assert re.search(r"default\tngo\tno key, hub", listed)
    runner = app.test_cli_runner()
    for args, expect in (
        (["orgs", "add", "legal-aid", "--name", "X", "--kind", "legal"], "already exists"),
        (["orgs", "add", "Bad Slug", "--name", "X", "--kind", "legal"], "slug must be"),
        (["orgs", "add", "x1", "--name", "X", "--kind", "church"], "'church' is not one of"),
        (["orgs", "add", "x2", "--name", "X", "--kind", "shelter", "--listings", "Nobody"],
         "no directory organisation or listing has this id or exact name"),
        (["keys", "init", "--org", "nobody", "--passphrase", PASSPHRASE], "no such member"),
        (["orgs", "add", "x3", "--name", "X", "--kind", "shelter", "--listings",
          "d21444b0-0c1a-5643-b2ad-b11bdc2f7899"], "already runs these listings"),
        (["staff", "create-user", "zed", "--member", "nobody", "--password", "long password 1"],
         "no such member"),
    ):
        res = runner.invoke(args=args)
        assert res.exit_code != 0, (args, res.output)
        assert expect in res.output, (args, res.output)
        assert "Traceback" not in res.output
    assert "default: hotline, City Anti-Trafficking Hotline" in cli(
        app, "orgs", "edit", "default", "--name", "City Anti-Trafficking Hotline", "--kind",
        "hotline")
    res = runner.invoke(args=["orgs", "edit", "nobody", "--name", "X"])
    assert res.exit_code != 0 and "no member organisation 'nobody'" in res.output
    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    cli(app, "keys", "init", "--org", "legal-aid", "--passphrase", PASSPHRASE)
    res = runner.invoke(args=["keys", "init", "--org", "legal-aid", "--passphrase", PASSPHRASE])
    assert res.exit_code != 0 and "already has a key" in res.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == 3


def test_listings_named_by_a_name_several_organisations_share(app: Flask) -> None:
    """The example data has nine organisations called "Fresno Example Network": naming that
    name stores nothing and lists each one's id with its listings; the id, or the name of the
    shelter's own listing, links exactly that organisation."""
    from tests.coalition_helpers import FRESNO_SHELTER_ORG

    def linked(slug: str) -> str | None:
        with app.app_context():
            member = db.session.scalar(select(Member).where(Member.slug == slug))
            return member.organization_id if member else "no member"

    runner = app.test_cli_runner()
    res = runner.invoke(args=["orgs", "add", "fresno-house", "--name", "Fresno Safe Haven",
                              "--kind", "shelter", "--listings", "Fresno Example Network"])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert linked("fresno-house") == "no member"  # nothing half-made
    assert "names 9 directory organisations" in res.output
    offered = dict(re.findall(r"^  ([0-9a-f-]{36})  (.+)$", res.output, re.MULTILINE))
    assert len(offered) == 9
    assert offered[FRESNO_SHELTER_ORG] == "Fresno Safe Haven House"
    assert "Fresno Peer Support Circle; Fresno Trauma Counselling Center" in offered.values()

    cli(app, "orgs", "add", "fresno-house", "--name", "Fresno Safe Haven", "--kind", "shelter",
        "--listings", "Fresno Safe Haven House")
    assert linked("fresno-house") == FRESNO_SHELTER_ORG
    legal = next(oid for oid, names in offered.items() if names == "Fresno Immigrant Legal Clinic")
    cli(app, "orgs", "add", "fresno-legal", "--name", "Fresno Legal", "--kind", "legal")
    cli(app, "orgs", "edit", "fresno-legal", "--listings", legal.upper())  # an id, any case
    assert linked("fresno-legal") == legal
    res = runner.invoke(args=["orgs", "edit", "fresno-legal", "--listings",
                              "Fresno Safe Haven House"])
    assert res.exit_code != 0 and "'fresno-house' already runs these listings" in res.output
    assert linked("fresno-legal") == legal
    from webapp.space import services as space

    with app.app_context():
        house = db.session.scalar(select(Member).where(Member.slug == "fresno-house"))
        assert [s.id for s in space.shelter_services(house)] == [FRESNO_SHELTER]


def test_partner_reads_exactly_the_referred_fields_and_a_dump_reveals_none(
        any_app: Flask, request: pytest.FixtureRequest) -> None:
    """B cannot open a tip sealed to A; after A refers two fields, B reads exactly those two
    with B's passphrase; the database as stored holds none of them (SQLite and PostgreSQL)."""
    app = any_app
    people = coalition(app).staff
    tip_id = _tip(app)
    hub_keys, shelter_keys = _keys(app, "default", PASSPHRASE), _keys(app, "fresno-shelter",
                                                                      SHELTER_PASS)
    from webapp.referrals import services as referrals
    from webapp.tips import crypto

    with app.app_context():
        tip = db.session.get(Tip, tip_id)
        assert tip is not None
        with pytest.raises(CryptoError):
            crypto.open_sealed(shelter_keys, tip.key_for_org)  # type: ignore[arg-type]
    hub = signed_in(app, people["hub"], PASSPHRASE)
    resp = refer(hub, tip_id, "fresno-shelter", ["what", "people"], "agreed", REASON)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    rid = referral_id(resp.headers["Location"])
    with app.app_context():
        ref = db.session.get(Referral, rid)
        assert ref is not None and ref.fields == "what,people" and not ref.with_photos
        opened = referrals.open_referral(ref, "partner", shelter_keys)  # type: ignore[arg-type]
        assert opened.fields == {"what": WHAT, "people": PEOPLE}
        assert opened.reason == REASON
        with pytest.raises(CryptoError):
            referrals.open_referral(ref, "partner", hub_keys)  # type: ignore[arg-type]
        assert db.session.get(Tip, tip_id).status == "referred"  # type: ignore[union-attr]

    shelter = signed_in(app, people["shelter"])
    page = shelter.get(f"/staff/referrals/{rid}").get_data(as_text=True)
    assert WHAT not in page and "locked" in page  # not before the shelter's own unlock
    bad = shelter.post("/staff/unlock", data={"csrf_token": csrf(shelter, "/staff/unlock"),
                                              "passphrase": PASSPHRASE})
    assert bad.status_code == 400  # the hub's passphrase opens nothing of the shelter's
    shelter.post("/staff/unlock", data={"csrf_token": csrf(shelter, "/staff/unlock"),
                                        "passphrase": SHELTER_PASS})
    page = shelter.get(f"/staff/referrals/{rid}").get_data(as_text=True)
    assert WHAT in page and PEOPLE in page and REASON in page
    assert WHERE not in page and CONTACT not in page
    assert shelter.get(f"/staff/tips/{tip_id}").status_code == 403
    assert tip_id not in shelter.get("/staff/").get_data(as_text=True)

    blob = raw_database(app, request)
    for secret in (WHAT, WHERE, PEOPLE, CONTACT, REASON, "SENTINEL"):
        assert secret.encode() not in blob, secret


def test_photos_go_only_when_chosen(app: Flask) -> None:
    people = coalition(app).staff
    tip_id = _tip(app)
    hub = signed_in(app, people["hub"], PASSPHRASE)
    rid = referral_id(refer(hub, tip_id, "fresno-shelter", ["what"], "agreed",
                            photos=True).headers["Location"])
    shelter = signed_in(app, people["shelter"], SHELTER_PASS)
    page = shelter.get(f"/staff/referrals/{rid}").get_data(as_text=True)
    found = re.findall(rf"/staff/referrals/{rid}/photos/([0-9a-f]{{32}})", page)
    assert len(found) == 1
    img = shelter.get(f"/staff/referrals/{rid}/photos/{found[0]}")
    assert img.status_code == 200 and img.mimetype == "image/jpeg"
    police = signed_in(app, people["police"], POLICE_PASS)
    assert police.get(f"/staff/referrals/{rid}/photos/{found[0]}").status_code == 403


def test_law_enforcement_needs_agreement_or_urgency(app: Flask) -> None:
    people = coalition(app).staff
    tip_id = _tip(app)
    hub = signed_in(app, people["hub"], PASSPHRASE)
    resp = refer(hub, tip_id, "police", ["what"], "not_applicable")
    assert resp.status_code == 400
    assert "needs the person&#39;s agreement, or must be urgent" in resp.get_data(as_text=True)
    resp = refer(hub, tip_id, "police", ["what"], "")
    assert resp.status_code == 400 and "Please say whether the person agreed" in \
        resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
    resp = refer(hub, tip_id, "police", ["what"], "urgent")
    assert resp.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "referral_to_law_enforcement"))
        assert entry is not None and "consent=urgent" in entry.detail
        assert entry.tip_id == tip_id and WHAT not in entry.detail
        received = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "referral_received"))
        police = db.session.scalar(select(Member).where(Member.slug == "police"))
        assert received is not None and police is not None
        assert received.member_id == police.id and received.tip_id is None


def test_status_updates_are_shared_and_notes_are_not(app: Flask) -> None:
    people = coalition(app).staff
    tip_id = _tip(app)
    hub = signed_in(app, people["hub"], PASSPHRASE)
    rid = referral_id(refer(hub, tip_id, "fresno-shelter", ["what"], "agreed")
                      .headers["Location"])
    shelter = signed_in(app, people["shelter"], SHELTER_PASS)
    page = f"/staff/referrals/{rid}"
    assert shelter.post(f"{page}/status", data={"csrf_token": csrf(shelter, page),
                                                "status": "accepted",
                                                "confirm": "1"}).status_code == 302
    shelter.post(f"{page}/note", data={"csrf_token": csrf(shelter, page),
                                       "note": "SHELTER-ONLY intake tonight"})
    assert "SHELTER-ONLY intake tonight" in shelter.get(page).get_data(as_text=True)
    hub.post(f"{page}/note", data={"csrf_token": csrf(hub, page), "note": "HUB-ONLY follow up"})

    seen = hub.get(page).get_data(as_text=True)
    assert 'data-status="accepted"' in seen and "HUB-ONLY follow up" in seen
    assert "SHELTER-ONLY" not in seen
    assert "HUB-ONLY" not in shelter.get(page).get_data(as_text=True)
    assert 'data-status="accepted"' in hub.get(f"/staff/tips/{tip_id}").get_data(as_text=True)
    # The sender can only close; the partner cannot move a closed referral.
    assert hub.post(f"{page}/status", data={"csrf_token": csrf(hub, page),
                                            "status": "accepted"}).status_code == 400
    assert hub.post(f"{page}/status", data={"csrf_token": csrf(hub, page),
                                            "status": "closed", "confirm": "1"}).status_code == 302
    assert shelter.post(f"{page}/status", data={"csrf_token": csrf(shelter, "/staff/space"),
                                                "status": "in_progress"}).status_code in (400,
                                                                                          409)
    police = signed_in(app, people["police"], POLICE_PASS)
    assert police.get(page).status_code == 403
    assert police.get(f"/staff/tips/{tip_id}").status_code == 403
    listed = shelter.get("/staff/referrals").get_data(as_text=True)
    assert rid in listed


def test_tips_go_to_the_chosen_member_only(app: Flask) -> None:
    people = coalition(app).staff
    client = app.test_client()
    form = client.get("/ar/tip").get_data(as_text=True)
    assert 'name="recipient"' not in form  # no choice unless the deployment offers one
    app.config["HAVEN_TIP_RECIPIENTS"] = ["default", "fresno-shelter"]
    form = client.get("/ar/tip").get_data(as_text=True)
    assert 'name="recipient"' in form and "Fresno Safe Haven" in form
    resp = send_tip(client, what="for the shelter", recipient="fresno-shelter")
    assert resp.status_code == 201
    resp = send_tip(client, what="nobody", recipient="police")  # not offered
    assert resp.status_code == 400
    with app.app_context():
        tips = db.session.scalars(select(Tip)).all()
        shelter = db.session.scalar(select(Member).where(Member.slug == "fresno-shelter"))
        assert len(tips) == 1 and shelter is not None and tips[0].member_id == shelter.id
        tip_id = tips[0].id
    hub = signed_in(app, people["hub"], PASSPHRASE)
    assert tip_id not in hub.get("/staff/").get_data(as_text=True)
    assert hub.get(f"/staff/tips/{tip_id}").status_code == 403
    mine = signed_in(app, people["shelter"], SHELTER_PASS)
    assert tip_id in mine.get("/staff/").get_data(as_text=True)
    assert "for the shelter" in mine.get(f"/staff/tips/{tip_id}").get_data(as_text=True)


def _link(client: object, service_id: str) -> str:
    page = "/staff/space"
    resp = client.post(f"/staff/space/{service_id}/links",  # type: ignore[attr-defined]
                       data={"csrf_token": csrf(client, page),  # type: ignore[arg-type]
                             "label": "night desk"})
    assert resp.status_code == 201
    m = re.search(r"https?://[^\s<]+/staff/space/u/[A-Za-z0-9_-]+", resp.get_data(as_text=True))
    assert m
    return m.group(0).split("://", 1)[1].split("/", 1)[1]


def test_space_by_private_link_reaches_page_api_and_bundle(app: Flask) -> None:
    people = coalition(app).staff
    shelter = signed_in(app, people["shelter"])
    page = shelter.get("/staff/space").get_data(as_text=True)
    assert "Fresno Safe Haven House" in page and "Oakland" not in page
    path = "/" + _link(shelter, FRESNO_SHELTER)
    anyone = app.test_client()
    form = anyone.get(path)
    assert form.status_code == 200 and "Fresno Safe Haven House" in form.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      form.get_data(as_text=True))
    assert token
    resp = anyone.post(path, data={"csrf_token": token.group(1), "status": "full",
                                   "populations": ["women", "families"]})
    assert resp.status_code == 302
    detail = app.test_client().get(f"/en/services/{FRESNO_SHELTER}").get_data(as_text=True)
    assert 'data-space="full"' in detail and "Women" in detail
    assert "141 Example Street" not in detail
    api = app.test_client().get(f"/api/hsds/services/{FRESNO_SHELTER}").get_json()
    assert api["haven_space"]["status"] == "full"
    assert api["haven_space"]["populations"] == ["women", "families"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", api["haven_space"]["updated"])
    listed = app.test_client().get("/api/hsds/services?per_page=50&full=true").get_json()
    assert any(s.get("haven_space", {}).get("status") == "full" for s in listed["contents"])
    bundle = json.loads(app.test_client().get("/ar/offline/directory.json").data)
    record = next(r for r in bundle["s"] if r[0] == FRESNO_SHELTER)
    assert record[15][0] == "full" and record[15][1] == ["women", "families"]

    with app.app_context():  # two days later, nobody has said anything new
        row = db.session.get(ServiceSpace, FRESNO_SHELTER)
        assert row is not None
        row.updated_at -= dt.timedelta(hours=49)
        db.session.commit()
    api = app.test_client().get(f"/api/hsds/services/{FRESNO_SHELTER}").get_json()
    assert api["haven_space"]["status"] == "unknown" and api["haven_space"]["populations"] == []
    detail = app.test_client().get(f"/es/services/{FRESNO_SHELTER}").get_data(as_text=True)
    assert 'data-space="unknown"' in detail

    with app.app_context():
        from webapp.models import SpaceLink

        link_id = db.session.scalar(select(SpaceLink.id))
    assert shelter.post(f"/staff/space/links/{link_id}/revoke",
                        data={"csrf_token": csrf(shelter, "/staff/space")}).status_code == 302
    assert anyone.get(path).status_code == 404
    assert anyone.post(path, data={"status": "available"}).status_code == 404
    hub = signed_in(app, people["hub"])
    assert hub.post(f"/staff/space/{FRESNO_SHELTER}", data={
        "csrf_token": csrf(hub, "/staff/space"), "status": "available"}).status_code == 403


def test_space_cli(app: Flask) -> None:
    out = cli(app, "space", "set", FRESNO_SHELTER, "limited", "--populations", "women,minors")
    assert "limited (women, minors)" in out
    runner = app.test_cli_runner()
    for args, expect in ((["space", "set", "nope", "full"], "no service with id 'nope'"),
                         (["space", "set", FRESNO_SHELTER, "open"], "'open' is not one of"),
                         (["space", "set", FRESNO_SHELTER, "full", "--populations", "dogs"],
                          "unknown population 'dogs'")):
        res = runner.invoke(args=args)
        assert res.exit_code != 0 and expect in res.output, res.output
        assert "Traceback" not in res.output
    with app.app_context():
        row = db.session.get(ServiceSpace, FRESNO_SHELTER)
        assert row is not None and row.status == "limited"


@pytest.mark.parametrize(("field", "text", "expect"), [
    ("details", "call her on 559 555 0199 after six", "phone number"),
    ("details", "her number is +1 (559) 555-0199", "phone number"),
    ("details", "رقمها ٠٥٥٩٥٥٥٠١٩٩", "phone number"),
    ("details", "write to maria.l@example.org", "e-mail address"),
    ("area", "Fresno 5595550199", "phone number"),
])
def test_a_request_with_personal_data_is_refused(app: Flask, field: str, text: str,
                                                 expect: str) -> None:
    people = coalition(app).staff
    hub = signed_in(app, people["hub"])
    page = "/staff/space/requests/new"
    data = {"csrf_token": csrf(hub, page), "household": "single", "populations": ["women"],
            "urgency": "tonight", "area": "Fresno", "details": "", field: text}
    resp = hub.post(page, data=data)
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert f"Please take out the {expect}" in body and "Nothing was sent" in body
    assert text in body  # the person's input is kept to correct it
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SpaceRequest)) == 0
        assert db.session.scalar(select(func.count()).select_from(SpaceAnswer)) == 0


def test_the_request_form_has_no_identifying_field(app: Flask) -> None:
    people = coalition(app).staff
    hub = signed_in(app, people["hub"])
    html = hub.get("/staff/space/requests/new").get_data(as_text=True)
    form = html[html.index('<form method="post" class="tip-form"'):]
    form = form[:form.index("</form>")]
    names = set(re.findall(r'name="([a-z_]+)"', form))
    assert names == {"csrf_token", "household", "populations", "child_ages", "languages",
                     "needs", "urgency", "area", "details"}


def _second_shelter(app: Flask) -> None:
    cli(app, "orgs", "add", "oakland-shelter", "--name", "Oakland Safe Haven", "--kind",
        "shelter", "--listings", OAKLAND_SHELTER_ORG)
    cli(app, "keys", "init", "--org", "oakland-shelter", "--passphrase", SHELTER_PASS)


def test_first_accept_holds_the_place_and_the_hold_expires_on_time(app: Flask) -> None:
    coalition(app)
    _second_shelter(app)
    from webapp.space import matching

    t0 = dt.datetime(2026, 11, 23, 20, 0)
    with app.app_context():
        ids = {m.slug: m.id for m in db.session.scalars(select(Member))}
        household = matching.Household("adult_with_children", ["women", "families"], ["es"],
                                       ["pets"], ["0-4"], "tonight")
        req = matching.create(ids["default"], None, household, at=t0)
        reached = {a.service_id: a.member_id for a in req.answers}
        assert set(reached.values()) == {ids["fresno-shelter"], ids["oakland-shelter"]}
        oakland = next(s for s, m in reached.items() if m == ids["oakland-shelter"])
        matching.answer(req, FRESNO_SHELTER, ids["fresno-shelter"], True,
                        at=t0 + dt.timedelta(minutes=10))
        assert req.held_service_id == FRESNO_SHELTER
        assert {a.service_id: a.answer for a in req.answers} == {
            FRESNO_SHELTER: "accepted", oakland: "filled"}
        with pytest.raises(matching.RequestError) as late:
            matching.answer(req, oakland, ids["oakland-shelter"], True,
                            at=t0 + dt.timedelta(minutes=11))
        assert late.value.code in ("filled", "answered")
        held_until = t0 + dt.timedelta(minutes=100)
        assert matching.state(req, held_until - dt.timedelta(seconds=1)) == "held"
        assert matching.state(req, held_until) == "hold_expired"
        # Unanswered requests count as unmet once their time is up.
        other = matching.create(ids["default"], None, household, at=t0)
        assert matching.state(other, t0 + dt.timedelta(hours=23)) == "open"
        assert matching.state(other, t0 + dt.timedelta(hours=24)) == "unmet"
        # A full shelter, or one that does not take families now, is not asked.
        from webapp.space import services as space

        space.set_space(FRESNO_SHELTER, "full", [], at=t0)
        space.set_space(oakland, "available", ["women"], at=t0)
        assert matching.matching(household, t0 + dt.timedelta(hours=1)) == []
        assert matching.matching(household, t0 + dt.timedelta(hours=49)) != []  # now stale
        # After 30 days everything is purged; only the week and the outcome remain.
        assert matching.purge(t0 + dt.timedelta(days=31)) == 2
        assert db.session.scalar(select(func.count()).select_from(SpaceRequest)) == 0
        assert db.session.scalar(select(func.count()).select_from(SpaceAnswer)) == 0
        outcomes = db.session.scalars(select(SpaceOutcome).order_by(SpaceOutcome.id)).all()
        assert sorted((o.accepted, o.minutes_to_accept) for o in outcomes) == [
            (False, None), (True, 10)]


def test_requester_gets_the_intake_phone_and_others_see_filled(app: Flask) -> None:
    people = coalition(app).staff
    hub = signed_in(app, people["hubrev"])
    page = "/staff/space/requests/new"
    resp = hub.post(page, data={"csrf_token": csrf(hub, page), "household": "single",
                                "populations": ["women"], "languages": ["ar"],
                                "urgency": "tonight", "area": "fresno",
                                "details": "arrives by bus, one suitcase"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:600]
    req_url = resp.headers["Location"]
    seen = hub.get(req_url).get_data(as_text=True)
    assert 'data-state="open"' in seen and "reached 1 shelter" in seen
    assert FRESNO_PHONE not in seen
    shelter = signed_in(app, people["shelter"])
    listed = shelter.get("/staff/space/requests")
    assert listed.status_code == 200
    inbox = listed.get_data(as_text=True)
    assert req_url.rsplit("/", 1)[1] in inbox
    view = shelter.get(req_url).get_data(as_text=True)
    assert "arrives by bus" in view and "Accept: hold the place for 90 minutes" in view
    resp = shelter.post(f"{req_url}/answer", data={"csrf_token": csrf(shelter, req_url),
                                                   "service_id": FRESNO_SHELTER,
                                                   "answer": "accept"})
    assert resp.status_code == 302
    again = shelter.post(f"{req_url}/answer", data={"csrf_token": csrf(shelter, req_url),
                                                    "service_id": FRESNO_SHELTER,
                                                    "answer": "accept"})
    assert again.status_code == 409
    seen = hub.get(req_url).get_data(as_text=True)
    assert 'data-state="held"' in seen and FRESNO_PHONE in seen
    assert "141 Example Street" not in seen
    police = signed_in(app, people["police"])
    assert police.get(req_url).status_code == 403


def test_statistics_suppress_counts_under_five(app: Flask) -> None:
    coalition(app)
    from webapp.clock import now as utc_now
    from webapp.space import matching

    now = utc_now()
    this_week = matching.week_of(now)
    with app.app_context():
        ids = {m.slug: m.id for m in db.session.scalars(select(Member))}
        key = db.session.scalar(select(OrgKey.id))
        tip = Tip(id="f" * 32, bucket="00000", receipt_salt=b"s" * 16, receipt_check=b"c" * 32,
                  key_for_org=b"k", key_for_receipt=b"k", org_key_id=key, body=b"b",
                  created_hour=now, updated_hour=now)
        db.session.add(tip)
        db.session.flush()
        for i, (slug, status) in enumerate([("fresno-shelter", "accepted")] * 6
                                           + [("police", "sent")] * 2):
            db.session.add(Referral(
                id=f"{i:032x}", tip_id=tip.id, from_member_id=ids["default"],
                to_member_id=ids[slug], to_key_id=key, from_key_id=key, key_for_partner=b"k",
                key_for_sender=b"k", body=b"b", fields="what", with_photos=False,
                consent="agreed", status=status, created_at=now, updated_at=now))
        for i in range(7):  # seven accepted this week, 20 + i minutes after the request
            db.session.add(SpaceOutcome(week=this_week, accepted=True, minutes_to_accept=20 + i))
        for _ in range(3):  # three unmet the week before
            db.session.add(SpaceOutcome(week=this_week - dt.timedelta(weeks=1), accepted=False))
        db.session.commit()
    rev = signed_in(app, coalition_staff(app, "hubrev2"))
    page = rev.get("/staff/coalition").get_data(as_text=True)
    table = page[page.index('id="referral-table"'):page.index("</table>")]
    assert ">6<" in table and "&lt;5" in table and ">2<" not in table
    assert "23 minutes" in page  # median of 20..26
    assert re.search(r'id="unmet">[^<]*&lt;5', page)
    assert ">3<" not in page.replace('width="', "")
    rows = list(csv.reader(io.StringIO(rev.get("/staff/coalition/stats.csv")
                                       .get_data(as_text=True))))
    assert ["referrals", "shelter", "accepted", "6"] in rows
    assert ["referrals", "law-enforcement", "sent", "<5"] in rows
    assert ["space_requests", this_week.isoformat(), "accepted", "7"] in rows
    last_week = (this_week - dt.timedelta(weeks=1)).isoformat()
    assert ["space_requests", last_week, "unmet", "<5"] in rows
    assert ["space_requests", "all", "median_minutes_to_accept", "23"] in rows
    assert ["space_requests", this_week.isoformat(), "median_minutes_to_accept", "23"] in rows
    assert ["space_requests", last_week, "median_minutes_to_accept", ""] in rows
    assert ["referrals", this_week.isoformat(), "sent", "8"] in rows
    assert not any(v in ("1", "2", "3", "4") for row in rows[1:] for v in row[3:])


def coalition_staff(app: Flask, name: str) -> object:
    """One more hub reviewer (the coalition's accounts already signed in once)."""
    from webapp.staff import auth

    with app.app_context():
        _user, secret = auth.create_user(name, "reviewer password 123", "reviewer")
    return Staff(name, "reviewer password 123", secret)


def test_the_first_organisation_is_migrated_in_place(app: Flask) -> None:
    """An install from before coalitions (schema 0008) keeps its key, staff and tips as member 1."""
    from flask_migrate import downgrade, upgrade

    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    cli(app, "keys", "init", "--passphrase", PASSPHRASE)
    tip_id = _tip(app)
    with app.app_context():
        from webapp.staff import auth

        auth.create_user("olduser", "old password 1234", "reviewer")
        downgrade(revision="0008")
        upgrade()
        tip = db.session.get(Tip, tip_id)
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "olduser"))
        member = db.session.get(Member, 1)
        assert tip is not None and user is not None and member is not None
        assert (tip.member_id, user.member_id, member.slug) == (1, 1, "default")
        assert db.session.scalar(select(OrgKey.member_id)) == 1
        assert db.session.scalar(select(func.count()).select_from(Service)) > 0
    keys = _keys(app, "default", PASSPHRASE)
    from webapp.tips import services

    with app.app_context():
        thread = services.open_for_staff(db.session.get(Tip, tip_id), keys)  # type: ignore[arg-type]
        assert thread.content["what"] == WHAT and len(thread.tip.photos) == 1


def test_other_members_edit_only_their_own_listings(app: Flask) -> None:
    """A member's admin is not the directory's admin: the shelter's admin edits its own
    listing (and sees its street), nothing else; the police's admin edits none; neither
    imports sheets, reads the readers' reports queue or invites editors for others."""
    from webapp.staff import auth

    coalition(app)
    with app.app_context():
        ids = {m.slug: m.id for m in db.session.scalars(select(Member))}
        made = {}
        for name, slug in (("sheladmin", "fresno-shelter"), ("poladmin", "police")):
            _u, secret = auth.create_user(name, "admin password 1234", "admin",
                                          member_id=ids[slug])
            made[name] = Staff(name, "admin password 1234", secret)
        oakland = db.session.scalar(select(Service.id).where(
            Service.name == "Oakland Safe Haven House"))
    shel = signed_in(app, made["sheladmin"])
    own = shel.get(f"/staff/directory/{FRESNO_SHELTER}")
    assert own.status_code == 200 and "141 Example Street" in own.get_data(as_text=True)
    assert shel.get(f"/staff/directory/{oakland}").status_code == 403
    listed = shel.get("/staff/directory?q=Safe").get_data(as_text=True)
    assert "Fresno Safe Haven House" in listed and "Oakland" not in listed
    for url in ("/staff/directory/import", "/staff/reports"):
        assert shel.get(url).status_code == 403, url
    resp = shel.post("/staff/users/invite", data={
        "csrf_token": csrf(shel, "/staff/users"), "role": "org-editor",
        "organization": OAKLAND_SHELTER_ORG})
    assert resp.status_code == 400
    nav = shel.get("/staff/space").get_data(as_text=True)
    assert "/staff/directory/import" not in nav and "/staff/reports" not in nav
    pol = signed_in(app, made["poladmin"])
    assert pol.get("/staff/directory").status_code == 403
    assert pol.get(f"/staff/directory/{FRESNO_SHELTER}").status_code == 403
    assert 'href="/staff/directory"' not in pol.get("/staff/").get_data(as_text=True)
    hub = signed_in(app, coalition_staff(app, "hubrev3"))
    assert hub.get("/staff/reports").status_code == 200


def test_unlock_names_the_command_for_a_member_without_a_key(app: Flask) -> None:
    from webapp.staff import auth

    coalition(app)
    cli(app, "orgs", "add", "legal-aid", "--name", "Valley Legal Aid", "--kind", "legal")
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.slug == "legal-aid"))
        assert member is not None
        _u, secret = auth.create_user("lawyer", "lawyer password 123", "reviewer",
                                      member_id=member.id)
    client = signed_in(app, Staff("lawyer", "lawyer password 123", secret))
    resp = client.post("/staff/unlock", data={"csrf_token": csrf(client, "/staff/unlock"),
                                              "passphrase": PASSPHRASE})
    assert resp.status_code == 400
    assert "flask --app app keys init --org legal-aid" in resp.get_data(as_text=True)


def test_poster_campaigns_are_seen_only_by_the_member_that_made_them(app: Flask) -> None:
    """A campaign's name and scan counts are its member's: the shelter's staff do not see the
    hub's "Bus station" campaign, and the hub's do not see the shelter's; the printed short
    link still opens for anyone."""
    from tests.coalition_helpers import coalition, signed_in

    people = coalition(app).staff
    hub, shelter = signed_in(app, people["hub"]), signed_in(app, people["shelter"])

    def make(client: FlaskClient, label: str) -> str:
        resp = client.post("/staff/campaigns", data={
            "csrf_token": csrf(client, "/staff/campaigns"), "label": label, "language": "es",
            "target": "tip"})
        assert resp.status_code == 200
        found = re.findall(r"<code[^>]*>/p/([a-z0-9]+)</code>", resp.get_data(as_text=True))
        assert len(found) == 1, found  # the one it just made, none of the other member's
        return found[0]

    hub_code = make(hub, "Bus station hub-7731")
    shelter_code = make(shelter, "Clinic door shelter-4410")
    for _ in range(2):
        assert app.test_client().get(f"/p/{hub_code}").status_code == 302
    hub_page = hub.get("/staff/campaigns").get_data(as_text=True)
    shelter_page = shelter.get("/staff/campaigns").get_data(as_text=True)
    assert "hub-7731" in hub_page and hub_code in hub_page
    assert "shelter-4410" not in hub_page and shelter_code not in hub_page
    assert "shelter-4410" in shelter_page and shelter_code in shelter_page
    assert "hub-7731" not in shelter_page and hub_code not in shelter_page
    assert app.test_client().get(f"/p/{shelter_code}").headers["Location"] == "/es/tip"


def test_a_members_editor_changes_land_in_that_members_audit_log(app: Flask) -> None:
    """An editor of the shelter member edits the shelter's own listing: the entry is in the
    shelter's log (it went to member 1's, where the shelter's admins never see it)."""
    from tests.coalition_helpers import FRESNO_SHELTER, coalition, signed_in
    from tests.editor_helpers import edit_listing
    from webapp.coalition import services as members
    from webapp.models import AuditEntry
    from webapp.staff import auth

    coalition(app)
    with app.app_context():
        shelter_id = members.by_slug("fresno-shelter").id  # type: ignore[union-attr]
        _user, secret = auth.create_user("shelter.editor", "shelter editor pw 123", "editor",
                                         member_id=shelter_id)
        db.session.remove()
    client = signed_in(app, Staff("shelter.editor", "shelter editor pw 123", secret))
    resp = edit_listing(client, FRESNO_SHELTER, phone="(559) 555-0141")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "listing_edited")).one()
        assert entry.member_id == shelter_id and FRESNO_SHELTER in entry.detail
