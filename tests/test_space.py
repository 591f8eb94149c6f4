"""Shelter space requests as the requester reads them: a held place's end in the shelter's own
clock time, its time zone named, in the reader's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from sqlalchemy import select, update

from tests.coalition_helpers import FRESNO_SHELTER, coalition, signed_in
from tests.staff_helpers import csrf
from webapp.extensions import db
from webapp.models import Schedule, SpaceRequest


def _held_request(app: Flask) -> tuple[object, str]:
    """The hub asks, the Fresno shelter accepts; (the hub's client, the request's page)."""
    people = coalition(app).staff
    hub = signed_in(app, people["hubrev"])
    new = "/staff/space/requests/new"
    resp = hub.post(new, data={"csrf_token": csrf(hub, new), "household": "single",
                               "populations": ["women"], "urgency": "tonight"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:600]
    url = resp.headers["Location"]
    shelter = signed_in(app, people["shelter"])
    resp = shelter.post(f"{url}/answer", data={"csrf_token": csrf(shelter, url),
                                               "service_id": FRESNO_SHELTER,
                                               "answer": "accept"})
    assert resp.status_code == 302
    return hub, url


def _hold_until(app: Flask, at: dt.datetime) -> None:
    """Move the stored end of the hold (naive UTC, as stored) to a known instant."""
    with app.app_context():
        db.session.execute(update(SpaceRequest).values(held_until=at))
        db.session.commit()


def _held_text(client: object, url: str, lang: str) -> str:
    html = client.get(url, headers={"Accept-Language": lang}).get_data(as_text=True)  # type: ignore[attr-defined]
    found = re.search(r'<p id="held-until"[^>]*>(.*?)</p>', html, re.S)
    assert found, html[:2000]
    # Babel puts a narrow no-break space before "PM"; read it as a space, as a person does.
    return re.sub(r"[\u202f\u00a0]", " ", found.group(1))


# A winter and a summer instant far ahead (the hold must still be running): 21:40 UTC is
# 13:40 in Fresno in winter (UTC-8) and 14:40 in summer (UTC-7).
WINTER = dt.datetime(2099, 1, 15, 21, 40)
SUMMER = dt.datetime(2099, 7, 15, 21, 40)


@pytest.mark.parametrize(("lang", "at", "time", "zone"), [
    ("en", WINTER, "1:40 PM", "Pacific Standard Time"),
    ("en", SUMMER, "2:40 PM", "Pacific Daylight Time"),
    ("ar", WINTER, "1:40 م", "توقيت المحيط الهادي الرسمي"),
    ("ar", SUMMER, "2:40 م", "توقيت المحيط الهادي الصيفي"),
])
def test_the_hold_ends_at_the_shelters_clock_time(app: Flask, lang: str, at: dt.datetime,
                                                  time: str, zone: str) -> None:
    hub, url = _held_request(app)
    _hold_until(app, at)
    text = _held_text(hub, url, lang)
    assert time in text and zone in text, text
    assert "UTC" not in text and "21:40" not in text


def test_the_hold_follows_the_listings_own_time_zone(app: Flask) -> None:
    """The zone comes from the listing's opening hours (as open-now reads them), not from a
    fixed one: the same instant reads 03:10 the next day for a shelter in India."""
    hub, url = _held_request(app)
    _hold_until(app, WINTER)
    with app.app_context():
        db.session.execute(update(Schedule).where(Schedule.service_id == FRESNO_SHELTER)
                           .values(tz_name="Asia/Kolkata", tz_offset=5.5))
        db.session.commit()
        assert db.session.scalar(select(Schedule.tz_name).where(
            Schedule.service_id == FRESNO_SHELTER)) == "Asia/Kolkata"
    text = _held_text(hub, url, "en")
    assert "3:10 AM" in text and "(India Time)" in text, text


def test_a_listing_without_a_zone_names_utc() -> None:
    """With no zone anywhere the time is still named, never left for the reader to guess."""
    from webapp.models import Service
    from webapp.space import services as space

    bare = Service(id="x", name="x")
    zone = space.service_zone(bare)
    assert zone is dt.UTC
    shown = space.local_time(WINTER, zone, "en")
    assert (shown.time.replace("\u202f", " "), shown.zone) == ("9:40 PM",
                                                              "Coordinated Universal Time")
    fixed = Service(id="y", name="y", timezone="UTC-480")
    assert space.local_time(WINTER, space.service_zone(fixed), "en").zone == "GMT-08:00"
