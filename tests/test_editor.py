"""The directory editor: edit, conflicts, history and revert, roles,
invitations, verification and translations, through the pages staff use."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from sqlalchemy import select

from tests.digit_scripts import SCRIPTS, in_script
from tests.editor_helpers import (
    FRESNO,
    OAKLAND,
    edit_listing,
    editors,
    find_form,
    listing_form,
    service_of,
)
from tests.reference import HSDS_30
from tests.staff_helpers import Staff, csrf, sign_in
from webapp import clock
from webapp.editor import queries
from webapp.extensions import db
from webapp.models import (
    AuditEntry,
    ListingRevision,
    Service,
    StaffInvite,
    StaffUser,
    SyncOrigin,
)
from webapp.search import search
from webapp.search.memindex import VISIBLE_STATUSES

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres


@pytest.fixture
def people(app: Flask, staff: dict[str, Staff]) -> dict[str, Staff]:
    """admin, reviewer, editor and a Fresno org-editor."""
    return {**staff, **editors(app)}


def signed(app: Flask, who: Staff) -> FlaskClient:
    """A fresh client signed in as who."""
    client = app.test_client()
    sign_in(client, who)
    return client


def stored(app: Flask, sid: str) -> Service:
    with app.app_context():
        svc = db.session.get(Service, sid)
        assert svc is not None
        _ = (svc.phones, svc.translations, svc.locations, svc.terms)
        for sal in svc.locations:
            _ = sal.location
        db.session.expunge_all()
        return svc


def found(app: Flask, q: str) -> list[str]:
    with app.app_context():
        return search.search(search.Params(q=q), home_country="US").ids


def test_an_editor_changes_a_phone_and_the_public_page_and_search_follow(
        app: Flask, people: dict[str, Staff]) -> None:
    client = signed(app, people["editor"])
    sid = service_of(app, FRESNO, "Legal")
    before = stored(app, sid)
    resp = edit_listing(client, sid, phone="(555) 555-0177", name="Fresno Riverside Legal Clinic")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    after = stored(app, sid)
    assert after.revision == before.revision + 1
    assert [p.number for p in after.phones if p.type == "voice"] == ["(555) 555-0177"]
    page = app.test_client().get(f"/en/services/{sid}").get_data(as_text=True)
    assert "555-0177" in page and "Fresno Riverside Legal Clinic" in page
    assert found(app, "riverside")[:1] == [sid]
    history = client.get(f"/staff/directory/{sid}/history").get_data(as_text=True)
    assert "555-0177" in history and "Riverside" in history
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "listing_edited")).one()
        assert sid in entry.detail and "phone" in entry.detail and "555" not in entry.detail


def test_a_stale_save_is_refused_and_keeps_the_input(app: Flask,
                                                     people: dict[str, Staff]) -> None:
    first, second = signed(app, people["editor"]), signed(app, people["admin"])
    sid = service_of(app, FRESNO, "Legal")
    mine, theirs = listing_form(first, sid), listing_form(second, sid)
    mine["phone"] = "(555) 555-0161"
    assert first.post(f"/staff/directory/{sid}", data=mine).status_code == 302
    theirs["phone"] = "(555) 555-0162"
    theirs["description"] = "My careful new description"
    resp = second.post(f"/staff/directory/{sid}", data=theirs)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "someone else saved this listing" in html
    assert 'value="(555) 555-0162"' in html and "My careful new description" in html
    assert "(555) 555-0161" in html  # what the other person saved is shown next to it
    assert [p.number for p in stored(app, sid).phones if p.type == "voice"] == ["(555) 555-0161"]
    again = find_form(html, "name", "phone")  # saving again, knowingly, replaces their version
    assert second.post(f"/staff/directory/{sid}", data=again).status_code == 302
    assert [p.number for p in stored(app, sid).phones if p.type == "voice"] == ["(555) 555-0162"]


def test_revert_restores_the_old_value(app: Flask, people: dict[str, Staff]) -> None:
    client = signed(app, people["editor"])
    sid = service_of(app, FRESNO, "Legal")
    old = [p.number for p in stored(app, sid).phones if p.type == "voice"]
    assert edit_listing(client, sid, phone="(555) 555-0188").status_code == 302
    with app.app_context():
        change = db.session.scalars(select(ListingRevision).where(
            ListingRevision.service_id == sid, ListingRevision.action == "edited")).one()
    token = csrf(client, f"/staff/directory/{sid}/history")
    resp = client.post(f"/staff/directory/{sid}/revert/{change.id}",
                       data={"csrf_token": token, "revision": stored(app, sid).revision})
    assert resp.status_code == 302
    assert [p.number for p in stored(app, sid).phones if p.type == "voice"] == old
    assert "555-0188" not in app.test_client().get(f"/en/services/{sid}").get_data(as_text=True)
    stale = client.post(f"/staff/directory/{sid}/revert/{change.id}",
                        data={"csrf_token": token, "revision": 1})
    assert "stale=1" in stale.headers["Location"]


def test_bad_input_is_shown_next_to_its_field_and_nothing_changes(
        app: Flask, people: dict[str, Staff]) -> None:
    client = signed(app, people["editor"])
    sid = service_of(app, FRESNO, "Legal")
    before = stored(app, sid)
    resp = edit_listing(client, sid, latitude="123", hours="whenever", email="not-an-address")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for name in ("latitude", "hours", "email"):
        assert re.search(rf'id="{name}-err"', html), name
    assert stored(app, sid).revision == before.revision


def test_create_then_retire(app: Flask, people: dict[str, Staff]) -> None:
    client = signed(app, people["editor"])
    html = client.get("/staff/directory/new").get_data(as_text=True)
    fields = find_form(html, "name", "phone")
    fields.update(new_organization="Kestrel Outreach", name="Kestrel Night Line",
                  categories=["hotline"], phone="(555) 555-0142", country="US",
                  city="Fresno", hours="24/7", timezone="America/Los_Angeles")
    resp = client.post("/staff/directory/new", data=fields)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    sid = resp.headers["Location"].split("/staff/directory/")[1].split("?")[0]
    assert found(app, "kestrel") == [sid]
    token = csrf(client, f"/staff/directory/{sid}")
    resp = client.post(f"/staff/directory/{sid}/retire",
                       data={"csrf_token": token, "revision": stored(app, sid).revision})
    assert resp.status_code == 302
    assert stored(app, sid).status == "inactive"  # kept, never deleted
    assert found(app, "kestrel") == []


def test_roles(app: Flask, people: dict[str, Staff]) -> None:
    partner = signed(app, people["org-editor"])
    own = service_of(app, FRESNO, "Safe Haven")
    other = service_of(app, OAKLAND, "Safe Haven")
    page = partner.get(f"/staff/directory/{own}").get_data(as_text=True)
    assert "141 Example Street" in page  # their own confidential street, to correct it
    for url in (f"/staff/directory/{other}", f"/staff/directory/{other}/history",
                f"/staff/directory/{other}/translations/ar"):
        resp = partner.get(url)
        assert resp.status_code == 403
        assert "151 Example Street" not in resp.get_data(as_text=True)
    listing = partner.get("/staff/directory?q=safe").get_data(as_text=True)
    assert "Fresno Safe Haven House" in listing and "Oakland Safe Haven House" not in listing
    assert partner.get("/staff/").status_code == 403  # partners never see tips
    assert partner.get("/staff/stats").status_code == 403
    reviewer = signed(app, people["reviewer"])
    assert reviewer.get("/staff/directory").status_code == 403
    # not an organisation they have
    resp = edit_listing(partner, own, organization=service_of(app, OAKLAND, "Safe Haven"))
    assert resp.status_code == 400


def test_an_invitation_works_once_and_expires(app: Flask, people: dict[str, Staff]) -> None:
    admin = signed(app, people["admin"])
    with app.app_context():
        fresno = db.session.scalar(select(Service.organization_id).where(
            Service.id == service_of(app, FRESNO, "Legal")))
    token = csrf(admin, "/staff/users")
    resp = admin.post("/staff/users/invite", data={"csrf_token": token, "role": "org-editor",
                                                   "organization": fresno})
    link = re.search(r'class="invite-link" dir="ltr">([^<]+)<', resp.get_data(as_text=True))
    assert resp.status_code == 200 and link
    path = "/staff/" + link.group(1).split("/staff/", 1)[1]
    guest = app.test_client()
    unknown = guest.get("/staff/invite/" + "A" * 43)
    assert unknown.status_code == 410 and 'name="password"' not in unknown.get_data(as_text=True)
    html = guest.get(path).get_data(as_text=True)
    secret = re.search(r'class="totp-key">([A-Z2-7]{32})<', html)
    assert secret and "<svg" in html
    form = {"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                    html).group(1),  # type: ignore[union-attr]
            "username": "partner.ana",
            "password": "a-long-enough-password", "confirm": "a-long-enough-password",
            "code": pyotp.TOTP(secret.group(1)).now()}
    assert guest.post(path, data={**form, "code": "000000"}).status_code == 400
    resp = guest.post(path, data=form)
    assert resp.status_code == 302
    with app.app_context():
        user = db.session.scalars(select(StaffUser).where(
            StaffUser.username == "partner.ana")).one()
        assert (user.role, user.organization_id) == ("org-editor", fresno)
    assert guest.get(path).status_code == 410  # single use
    assert guest.post(path, data={**form, "username": "other"}).status_code == 410
    token = csrf(admin, "/staff/users")
    resp = admin.post("/staff/users/invite", data={"csrf_token": token, "role": "editor"})
    link = re.search(r'class="invite-link" dir="ltr">([^<]+)<', resp.get_data(as_text=True))
    assert link
    with app.app_context():
        for inv in db.session.scalars(select(StaffInvite).where(StaffInvite.used_at.is_(None))):
            inv.expires_at = dt.datetime(2020, 1, 1)
        db.session.commit()
    assert guest.get("/staff/" + link.group(1).split("/staff/", 1)[1]).status_code == 410


def test_verification_queue_and_export(app: Flask, people: dict[str, Staff]) -> None:
    client = signed(app, people["editor"])
    html = client.get("/staff/directory/verify").get_data(as_text=True)
    ids = re.findall(r'/staff/directory/([0-9a-f-]{36})/verify', html)
    assert ids
    with app.app_context():
        def urgent(sid: str) -> bool:
            svc = db.session.get(Service, sid)
            assert svc is not None
            return any(t.code in ("hotline", "emergency", "shelter") for t in svc.terms)
        flags = [urgent(s) for s in ids]
    assert flags == sorted(flags, reverse=True) and flags[0]  # urgent ones first
    sid = ids[0]
    token = csrf(client, "/staff/directory/verify")
    resp = client.post(f"/staff/directory/{sid}/verify",
                       data={"csrf_token": token, "revision": stored(app, sid).revision,
                             "next": "queue"})
    assert resp.status_code == 302
    svc = stored(app, sid)
    assert svc.assured_date == dt.datetime.now(dt.UTC).date() and svc.assurer
    doc = app.test_client().get(f"/api/hsds/services/{sid}").json
    assert doc["assured_date"] == svc.assured_date.isoformat()
    assert doc["haven_assurer"] == svc.assurer
    assert sid not in client.get("/staff/directory/verify").get_data(as_text=True)


def test_each_queue_card_labels_its_numbers_and_dials_what_the_public_page_dials(
        app: Flask, people: dict[str, Staff]) -> None:
    """A listing's numbers on the queue are labelled (Call, Text) and each link dials the
    number as the listing's public page does: a voice and an SMS line on one number no
    longer read as one number printed twice."""
    client = signed(app, people["editor"])
    html = client.get("/staff/directory/verify").get_data(as_text=True)
    cards = re.findall(r'<li class="card">(.*?)</li>', html, re.S)
    assert cards
    checked = 0
    for card in cards:
        sid = re.search(r'/staff/directory/([0-9a-f-]{36})/verify', card)
        assert sid
        shown = re.findall(r'class="call call-(\w+)"(?: href="([^"]*)")?><span>([^<]+)</span> '
                           r'<bdi dir="ltr">([^<]+)</bdi>', card)
        public = app.test_client().get(f"/en/services/{sid.group(1)}").get_data(as_text=True)
        expected = re.findall(r'class="call call-(\w+)"(?: href="([^"]*)")?><span>([^<]+)</span> '
                              r'<bdi dir="ltr">([^<]+)</bdi>', public)
        assert shown == expected[:2], sid.group(1)
        for kind, _href, label, _number in shown:
            assert label == {"voice": "Call", "sms": "Text", "text": "Text",
                             "whatsapp": "WhatsApp"}.get(kind, label)
        checked += bool(shown)
    assert checked


def test_the_verification_queue_pages_through_every_listing_due(
        app: Flask, people: dict[str, Staff]) -> None:
    """More listings due than one page holds: Next reaches the rest, each once (a walkthrough
    found one listing due that the queue, cut at 50, never showed)."""
    client = signed(app, people["admin"])
    seen: list[str] = []
    url: str | None = "/staff/directory/verify"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r'/staff/directory/([0-9a-f-]{36})/verify', html)
        more = re.search(r'<a href="([^"]+)">Next</a>', html)
        url = more.group(1).replace("&amp;", "&") if more else None
    with app.app_context():
        due = {s.id for s in db.session.scalars(select(Service).where(
            Service.status.in_(VISIBLE_STATUSES)))
            if s.assured_date is None or s.assured_date < queries.stale_before()}
    assert len(seen) == len(set(seen)) > queries.PER_PAGE  # more than a page, none twice
    assert set(seen) == due


def test_still_accurate_on_one_mirrored_listing_settles_only_its_own_conflict(
        app: Flask, people: dict[str, Staff]) -> None:
    """Two mirrored listings with open conflicts lead the queue; marking one still accurate
    takes that one out and leaves the other first (it once settled every conflict: a
    walkthrough saw the second vanish from the queue while its card still said open)."""
    with app.app_context():
        pair = [db.session.get(Service, service_of(app, org, name))
                for org, name in ((FRESNO, "Legal"), (OAKLAND, "Safe Haven"))]
        for svc in pair:
            assert svc is not None
            db.session.add(SyncOrigin(
                service_id=svc.id, source="https://other.example.org/api/hsds",
                fetched_at=clock.now(), upstream_hash="0" * 64, upstream_fields="{}",
                local_fields="{}", conflict_at=clock.now() - dt.timedelta(minutes=5),
                conflicts=json.dumps({"name": {"upstream": "Renamed upstream"}})))
        db.session.commit()
        first, second = (s.id for s in pair if s is not None)
    client = signed(app, people["admin"])

    def queue() -> list[str]:
        html = client.get("/staff/directory/verify").get_data(as_text=True)
        return re.findall(r'/staff/directory/([0-9a-f-]{36})/verify', html)

    assert set(queue()[:2]) == {first, second}
    token = csrf(client, "/staff/directory/verify")
    back = client.post(f"/staff/directory/{first}/verify", data={
        "csrf_token": token, "revision": stored(app, first).revision, "next": "queue"},
        follow_redirects=True).get_data(as_text=True)
    said = re.search(r'<p class="ok" role="status">(.*?)</p>', back, re.S)
    assert said and stored(app, first).name in said.group(1)  # says which one, and that
    assert "Marked as still accurate today." in said.group(1)  # it worked
    assert queue()[0] == second and first not in queue()
    page = client.get(f"/staff/directory/{second}").get_data(as_text=True)
    card = re.search(r'<div class="error sync-conflict">(.*?)</div>', page, re.S)
    assert card and re.findall(r"<bdi>(.*?)</bdi>", card.group(1))[-1] == "Renamed upstream"


def test_translations_are_marked_machine_or_reviewed(app: Flask,
                                                     people: dict[str, Staff]) -> None:
    client = signed(app, people["editor"])
    sid = service_of(app, FRESNO, "Legal")
    url = f"/staff/directory/{sid}/translations/ar"
    html = client.get(url).get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in html
    form = find_form(html, "description", lacking="phone")
    form.update(name="عيادة ريفرسايد القانونية", description="محامون مجانيون")
    form.pop("reviewed", None)
    assert client.post(url, data=form).status_code == 302
    page = app.test_client().get(f"/ar/services/{sid}").get_data(as_text=True)
    assert "عيادة ريفرسايد القانونية" in page and 'class="translation-note"' in page
    machine_note = re.search(r'class="translation-note"><small>([^<]+)<', page)
    form = find_form(client.get(url).get_data(as_text=True), "description", lacking="phone")
    form["reviewed"] = "y"
    assert client.post(url, data=form).status_code == 302
    page = app.test_client().get(f"/ar/services/{sid}").get_data(as_text=True)
    reviewed_note = re.search(r'class="translation-note"><small>([^<]+)<', page)
    assert machine_note and reviewed_note and machine_note.group(1) != reviewed_note.group(1)
    doc = app.test_client().get(f"/api/hsds/services/{sid}").json
    assert doc["haven_translations"]["ar"]["reviewed_on"] == dt.date.today().isoformat()
    assert found(app, "ريفرسايد") == [sid]  # a word only the new translation has


def test_the_cli_makes_an_org_editor_only_with_one_organisation(app: Flask) -> None:
    runner = app.test_cli_runner()
    base = ["staff", "create-user", "--role", "org-editor", "--password", "a-long-password-1"]
    with app.app_context():
        fresno = db.session.scalar(select(Service.organization_id).where(
            Service.id == service_of(app, FRESNO, "Legal")))
    assert fresno
    res = runner.invoke(args=[*base, "fern.cli", "--org", fresno])
    assert res.exit_code == 0, res.output
    with app.app_context():
        user = db.session.scalars(select(StaffUser).where(StaffUser.username == "fern.cli")).one()
        assert user.role == "org-editor" and user.organization_id
    res = runner.invoke(args=[*base, "nobody.cli"])
    assert res.exit_code != 0 and "--org" in res.output
    res = runner.invoke(args=[*base, "nobody.cli", "--org", "No Such Network"])
    assert res.exit_code != 0 and "No Such Network" in res.output
    res = runner.invoke(args=[*base, "nobody.cli", "--org", FRESNO])  # the demo has 9 rows
    assert res.exit_code != 0 and "exactly one" in res.output


def _options(html: str, select_id: str = "organization") -> dict[str, str]:
    """label -> value of a select's options, as a person reads them (isolates removed); a
    repeated label fails, as a person could not tell those options apart."""
    found = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert found, html[:2000]
    pairs = [(re.sub("[\u2068\u2069]", "", label).strip(), value) for value, label in
             re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1))]
    labels = [label for label, _value in pairs]
    assert len(labels) == len(set(labels)), sorted(lb for lb in labels if labels.count(lb) > 1)
    return dict(pairs)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_organisations_that_share_a_name_are_told_apart(app: Flask, people: dict[str, Staff],
                                                         lang: str) -> None:
    """The example data has nine organisations named "Fresno Example Network": each is listed
    once with the listings it runs, and picking one files or filters by exactly that one."""
    client = signed(app, people["editor"])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    shelter, legal = service_of(app, FRESNO, "Safe Haven"), service_of(app, FRESNO, "Legal")
    shelter_org, legal_org = stored(app, shelter).organization_id, stored(app, legal).organization_id
    options = _options(client.get("/staff/directory").get_data(as_text=True))
    fresno = {label: value for label, value in options.items() if label.startswith(FRESNO)}
    assert len(fresno) == 9 and len(set(fresno.values())) == 9
    [safe] = [label for label in fresno if "Fresno Safe Haven House" in label]
    assert fresno[safe] == shelter_org
    if lang == "en":
        assert safe == "Fresno Example Network — Fresno Safe Haven House"
        assert "Fresno Example Network — Fresno Peer Support Circle and 1 other listing" in fresno
    page = client.get(f"/staff/directory?organization={fresno[safe]}").get_data(as_text=True)
    assert re.findall(r'<h2 class="card-title"><a [^>]*>([^<]+)</a>', page) == [
        "Fresno Safe Haven House"]

    html = client.get("/staff/directory/new").get_data(as_text=True)
    on_form = _options(html)
    [clinic] = [label for label in on_form if "Fresno Immigrant Legal Clinic" in label]
    fields = find_form(html, "name", "phone")
    fields.update(organization=on_form[clinic], name="Fresno Night Legal Line",
                  categories=["legal-aid"], phone="(559) 555-0188", country="US", city="Fresno",
                  hours="24/7", timezone="America/Los_Angeles")
    resp = client.post("/staff/directory/new", data=fields)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    sid = resp.headers["Location"].split("/staff/directory/")[1].split("?")[0]
    assert stored(app, sid).organization_id == legal_org


def test_an_edit_keeps_what_the_editor_does_not_show(app: Flask, people: dict[str, Staff],
                                                     tmp_path: Path) -> None:
    """A listing that came with contacts, funding, cost options and other HSDS fields the
    editor has no box for keeps every one of them when an editor renames it."""
    sid = service_of(app, FRESNO, "Legal")
    api = app.test_client()
    record = api.get(f"/api/hsds/services/{sid}").get_json()
    full = json.loads((HSDS_30 / "examples" / "service_full.json").read_text())
    unmodelled = ("contacts", "funding", "cost_options", "required_documents", "program",
                  "service_areas", "accreditations", "licenses")
    record.update({k: full[k] for k in unmodelled})
    (tmp_path / "one.json").write_text(json.dumps(record))
    res = app.test_cli_runner().invoke(args=["services", "import", str(tmp_path / "one.json")])
    assert res.exit_code == 0, res.output
    before = api.get(f"/api/hsds/services/{sid}").get_json()
    assert all(before[k] for k in unmodelled)
    client = signed(app, people["editor"])
    resp = edit_listing(client, sid, name="Renamed by an editor")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    after = api.get(f"/api/hsds/services/{sid}").get_json()
    assert after["name"] == "Renamed by an editor"
    assert {k: after[k] for k in unmodelled} == {k: before[k] for k in unmodelled}


def test_a_phone_typed_in_any_digits_is_stored_and_shown_as_it_dials(
        app: Flask, people: dict[str, Staff]) -> None:
    """An editor on an Arabic, Persian or Devanagari keyboard types the number in their
    digits: it is kept in ASCII digits, so the public page shows what the Call button dials
    (kept as typed, Arabic-Indic groups showed reversed: "(559) 0199-555")."""
    client = signed(app, people["editor"])  # once: a sign-in code works once per 30 s
    sid = service_of(app, FRESNO, "Legal")

    @settings(max_examples=8, deadline=None)
    @given(zero=SCRIPTS)
    def typed(zero: int) -> None:
        resp = edit_listing(client, sid, phone=in_script("(559) 555-0199", zero))
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
        assert [p.number for p in stored(app, sid).phones
                if p.type == "voice"] == ["(559) 555-0199"]
        page = app.test_client().get(f"/ar/services/{sid}").get_data(as_text=True)
        assert "(559) 555-0199" in page and 'href="tel:5595550199"' in page

    typed()
