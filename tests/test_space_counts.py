"""Counts of free places in a shelter: staff may give one with the status; it is public (the
listing pages and HSDS 3.1 capacities) only when an admin of the member opted in and only
while the status is fresh; never in 3.0's haven_space or the offline copy."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from babel.numbers import format_decimal
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.coalition_helpers import FRESNO_SHELTER, coalition, signed_in
from tests.reference import valid_31
from tests.staff_helpers import Staff, csrf
from webapp import clock
from webapp.extensions import db
from webapp.models import AuditEntry, Member, ServiceSpace

API = "/api/hsds"
V31 = "hsds_version=3.1"
# Where the count would show on a page: the element, and its words in any unit.
COUNT_MARK = re.compile(r"space-count|data-free|(places?|beds?) free")


def _people(app: Flask) -> dict[str, Staff]:
    """The coalition, plus an admin of the shelter member."""
    from webapp.coalition import services as members
    from webapp.staff import auth

    people = coalition(app).staff
    with app.app_context():
        shelter = members.by_slug("fresno-shelter")
        assert shelter is not None
        password = "shelter admin password 123"
        _user, secret = auth.create_user("shadmin", password, "admin", member_id=shelter.id)
        people["shadmin"] = Staff("shadmin", password, secret)
        db.session.remove()
    return people


def _post_space(client: FlaskClient, free: str, status: str = "",
                unit: str = "places") -> Any:
    token = csrf(client, "/staff/space")
    return client.post(f"/staff/space/{FRESNO_SHELTER}", data={
        "csrf_token": token, "status": status, "free": free, "unit": unit,
        "populations": ["women"]})


def _opt(client: FlaskClient, on: bool) -> Any:
    data = {"csrf_token": csrf(client, "/staff/space")}
    if on:
        data["public"] = "y"
    return client.post("/staff/space/counts", data=data)


def _row(app: Flask) -> ServiceSpace | None:
    with app.app_context():
        row = db.session.get(ServiceSpace, FRESNO_SHELTER)
        if row is not None:
            db.session.expunge(row)
        return row


def _api(client: FlaskClient, query: str = "") -> dict[str, Any]:
    resp = client.get(f"{API}/services/{FRESNO_SHELTER}{query}")
    assert resp.status_code == 200
    return resp.json  # type: ignore[return-value]


def _bundle_space(client: FlaskClient) -> list[Any]:
    bundle = json.loads(client.get("/en/offline/directory.json").data)
    record = next(r for r in bundle["s"] if r[0] == FRESNO_SHELTER)
    return record[15]  # type: ignore[no-any-return]


def _count_shown(html: str) -> str | None:
    """The text of the count on a page, or None."""
    m = re.search(r'<span class="space-count"[^>]*>([^<]*)</span>', html)
    return m.group(1) if m else None


def _public_pages(client: FlaskClient) -> list[str]:
    return [client.get(url).get_data(as_text=True)
            for url in (f"/en/services/{FRESNO_SHELTER}", "/en/search?q=Fresno",
                        f"/ar/services/{FRESNO_SHELTER}")]


def test_a_count_is_kept_but_shown_nowhere_until_an_admin_opts_in(app: Flask) -> None:
    """Three places typed in Arabic-Indic digits: stored, the status they give (available),
    the staff page shows the number; every public page, both API versions and the offline
    copy show the word only."""
    people = _people(app)
    shelter = signed_in(app, people["shelter"])
    assert _post_space(shelter, "\u0663").status_code == 302
    row = _row(app)
    assert row is not None
    assert (row.status, row.free_places, row.unit) == ("available", 3, "places")
    assert _count_shown(shelter.get("/staff/space").get_data(as_text=True)) == "3 places free"

    anyone = app.test_client()
    pages = _public_pages(anyone)
    assert all('data-space="available"' in page for page in pages)
    assert not any(COUNT_MARK.search(page) for page in pages)
    v30, v31 = _api(anyone), _api(anyone, f"?{V31}")
    for answer in (v30, v31):
        assert answer["haven_space"] == {"status": "available", "populations": ["women"],
                                         "updated": answer["haven_space"]["updated"]}
        assert "capacities" not in answer
    listed = anyone.get(f"{API}/services?per_page=50&full=true&{V31}").json
    assert listed is not None
    assert not any("capacities" in s for s in listed["contents"])
    assert _bundle_space(anyone)[:2] == ["available", ["women"]]
    assert len(_bundle_space(anyone)) == 3


def test_opted_in_the_count_is_on_the_page_and_a_31_capacity(app: Flask) -> None:
    people = _people(app)
    shelter = signed_in(app, people["shelter"])
    admin = signed_in(app, people["shadmin"])
    assert _post_space(shelter, "3").status_code == 302
    assert _opt(admin, True).status_code == 302
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.slug == "fresno-shelter"))
        assert member is not None and member.public_space_counts
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "space_counts_public"))
        assert entry is not None and (entry.member_id, entry.detail) == (member.id, "on")

    anyone = app.test_client()
    en, search, ar = _public_pages(anyone)
    assert _count_shown(en) == "3 places free" and _count_shown(search) == "3 places free"
    shown_ar = _count_shown(ar)
    assert shown_ar is not None and format_decimal(3, locale="ar") in shown_ar

    v31 = _api(anyone, f"?{V31}")
    [cap] = v31["capacities"]
    assert (cap["available"], cap["unit"]["name"], cap["updated"]) == (
        3, "Place", v31["haven_space"]["updated"])
    valid_31("service", v31)
    # 3.0 has no capacities, and haven_space stays the word; the offline copy too.
    v30 = _api(anyone)
    assert "capacities" not in v30 and set(v30["haven_space"]) == {"status", "populations",
                                                                   "updated"}
    assert len(_bundle_space(anyone)) == 3

    # Beds, then none free: one capacity (not a second 0 for "full"), the unit given.
    assert _post_space(shelter, "5", unit="beds").status_code == 302
    assert _count_shown(anyone.get(f"/en/services/{FRESNO_SHELTER}").get_data(
        as_text=True)) == "5 beds free"
    assert _post_space(shelter, "0", unit="beds").status_code == 302
    v31 = _api(anyone, f"?{V31}")
    assert v31["haven_space"]["status"] == "full"
    assert [(c["available"], c["unit"]["name"]) for c in v31["capacities"]] == [(0, "Bed")]
    valid_31("service", v31)

    # A status pressed without a number clears it: readers get the word only again.
    assert _post_space(shelter, "", status="limited").status_code == 302
    assert _count_shown(anyone.get(f"/en/services/{FRESNO_SHELTER}").get_data(
        as_text=True)) is None
    assert "capacities" not in _api(anyone, f"?{V31}")

    # Switched off again: gone from every public answer.
    assert _post_space(shelter, "4", status="available").status_code == 302
    assert _opt(admin, False).status_code == 302
    assert not any(COUNT_MARK.search(page) for page in _public_pages(anyone))
    assert "capacities" not in _api(anyone, f"?{V31}")


def test_a_stale_count_is_not_shown(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    people = _people(app)
    shelter = signed_in(app, people["shelter"])
    assert _post_space(shelter, "3").status_code == 302
    assert _opt(signed_in(app, people["shadmin"]), True).status_code == 302
    later = clock.now() + dt.timedelta(hours=49)
    monkeypatch.setattr(clock, "now", lambda: later)
    anyone = app.test_client()
    pages = _public_pages(anyone)
    assert all('data-space="unknown"' in page for page in pages)
    assert not any(COUNT_MARK.search(page) for page in pages)
    v31 = _api(anyone, f"?{V31}")
    assert v31["haven_space"]["status"] == "unknown" and "capacities" not in v31


def test_only_an_admin_of_the_member_opts_in(app: Flask) -> None:
    people = _people(app)
    shelter = signed_in(app, people["shelter"])
    assert _opt(shelter, True).status_code == 403
    page = shelter.get("/staff/space").get_data(as_text=True)
    assert 'data-counts="off"' in page
    assert _post_space(shelter, "3").status_code == 302
    assert not COUNT_MARK.search(
        app.test_client().get(f"/en/services/{FRESNO_SHELTER}").get_data(as_text=True))


@pytest.mark.parametrize(("free", "status", "message"), [
    ("-1", "", "as a whole number, 0 or more"),
    ("\u22121", "available", "as a whole number, 0 or more"),
    ("abc", "", "as a whole number, 0 or more"),
    ("2.5", "limited", "as a whole number, 0 or more"),
    ("", "", "Write the number of free places, or press a status"),
    ("0", "available", "The number and the status disagree"),
    ("4", "full", "The number and the status disagree"),
])
def test_the_form_refuses_a_wrong_number_and_stores_nothing(
        app: Flask, free: str, status: str, message: str) -> None:
    people = _people(app)
    shelter = signed_in(app, people["shelter"])
    resp = _post_space(shelter, free, status)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert message in html and "Nothing was saved." in html
    assert _row(app) is None
    # By the private link as well.
    token = csrf(shelter, "/staff/space")
    made = shelter.post(f"/staff/space/{FRESNO_SHELTER}/links", data={"csrf_token": token})
    link = re.search(r"https?://[^\s<]+(/staff/space/u/[A-Za-z0-9_-]+)",
                     made.get_data(as_text=True))
    assert link
    anyone = app.test_client()
    form = anyone.get(link.group(1)).get_data(as_text=True)
    field = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert field
    resp = anyone.post(link.group(1), data={"csrf_token": field.group(1), "status": status,
                                            "free": free, "unit": "places"})
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert _row(app) is None
