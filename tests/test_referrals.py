"""Referrals as staff use them: buttons named by what they do, a status change stored only
once confirmed, staff words for what is referred, and the photos box next to its words."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import select

from tests.coalition_helpers import (
    SHELTER_PASS,
    Coalition,
    coalition,
    refer,
    referral_id,
    signed_in,
)
from tests.editor_helpers import find_form
from tests.staff_helpers import PASSPHRASE, csrf
from tests.tips_helpers import jpeg, send_tip
from webapp.extensions import db
from webapp.models import Referral, ReferralEvent, Tip

STATE_WORDS = {"Sent", "Accepted", "In progress", "Declined", "Closed"}


def _tip(app: Flask) -> str:
    resp = send_tip(app.test_client(), what="Workers sleep in the packing shed",
                    where="Orchard Road", people="Four men", photos=[(jpeg(), "a.jpg")])
    assert resp.status_code == 201
    with app.app_context():
        return str(db.session.scalar(select(Tip.id)))


def _referred(app: Flask) -> tuple[Coalition, str, str]:
    people = coalition(app)
    tip_id = _tip(app)
    hub = signed_in(app, people.staff["hub"], PASSPHRASE)
    rid = referral_id(refer(hub, tip_id, "fresno-shelter", ["what", "where"], "agreed")
                      .headers["Location"])
    return people, tip_id, rid


def _stored(app: Flask, rid: str) -> tuple[str, list[str]]:
    """The referral's status and its status history, as stored."""
    with app.app_context():
        ref = db.session.get(Referral, rid)
        assert ref is not None
        events = db.session.scalars(select(ReferralEvent.status).where(
            ReferralEvent.referral_id == rid).order_by(ReferralEvent.id)).all()
        return ref.status, list(events)


def _buttons(html: str) -> dict[str, str]:
    """value -> words of the status buttons on a referral page."""
    form = re.search(r'<form[^>]*id="referral-moves".*?</form>', html, re.S)
    assert form, html[:1500]
    return {v: w.strip() for v, w in re.findall(
        r'<button type="submit" name="status" value="([a-z_]+)">([^<]*)</button>', form.group(0))}


def _get(client: FlaskClient, url: str, lang: str) -> str:
    resp = client.get(url, headers={"Accept-Language": lang})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_buttons_name_actions_not_states(app: Flask) -> None:
    people, _tip_id, rid = _referred(app)
    shelter = signed_in(app, people.staff["shelter"], SHELTER_PASS)
    buttons = _buttons(_get(shelter, f"/staff/referrals/{rid}", "en"))
    assert buttons == {"accepted": "Accept referral", "in_progress": "Mark in progress",
                       "declined": "Decline referral", "closed": "Close referral"}
    hub = signed_in(app, people.staff["hub"], PASSPHRASE)
    assert _buttons(_get(hub, f"/staff/referrals/{rid}", "en")) == {"closed": "Close referral"}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_status_changes_only_once_confirmed(app: Flask, lang: str) -> None:
    people, _tip_id, rid = _referred(app)
    shelter = signed_in(app, people.staff["shelter"], SHELTER_PASS)
    page = f"/staff/referrals/{rid}"
    html = _get(shelter, page, lang)
    words = _buttons(html)
    assert not set(words.values()) & STATE_WORDS
    # One tap on "Accept referral": a question, nothing stored, nothing the sender sees.
    first = shelter.post(f"{page}/status", headers={"Accept-Language": lang},
                         data={"csrf_token": csrf(shelter, page), "status": "accepted"})
    assert first.status_code == 200
    asked = first.get_data(as_text=True)
    assert _stored(app, rid) == ("sent", ["sent"])
    assert re.search(rf'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}"', asked)
    if lang == "en":
        assert "Accept this referral? The organisation that sent it will see" in asked
    assert f'href="{page}"' in asked  # the way out changes nothing
    hub = signed_in(app, people.staff["hub"], PASSPHRASE)
    assert 'data-status="sent"' in hub.get(page).get_data(as_text=True)
    # The confirmation page's own form stores it.
    confirm = find_form(asked, "confirm", "status")
    assert confirm["status"] == "accepted" and confirm["confirm"] == "1"
    second = shelter.post(f"{page}/status", data=confirm, headers={"Accept-Language": lang})
    assert second.status_code == 302
    assert _stored(app, rid) == ("accepted", ["sent", "accepted"])
    assert 'data-status="accepted"' in hub.get(page).get_data(as_text=True)
    assert "accepted" not in _buttons(_get(shelter, page, lang))  # not offered twice


def test_closing_is_confirmed_too_and_ends_the_changes(app: Flask) -> None:
    people, _tip_id, rid = _referred(app)
    hub = signed_in(app, people.staff["hub"], PASSPHRASE)
    page = f"/staff/referrals/{rid}"
    asked = hub.post(f"{page}/status", data={"csrf_token": csrf(hub, page), "status": "closed"})
    assert asked.status_code == 200 and _stored(app, rid)[0] == "sent"
    assert "Once it is closed, neither organisation can change" in asked.get_data(as_text=True)
    done = hub.post(f"{page}/status", data=find_form(asked.get_data(as_text=True), "confirm"))
    assert done.status_code == 302 and _stored(app, rid)[0] == "closed"
    shelter = signed_in(app, people.staff["shelter"], SHELTER_PASS)
    late = shelter.post(f"{page}/status", data={"csrf_token": csrf(shelter, page),
                                                "status": "in_progress", "confirm": "1"})
    assert late.status_code == 409 and _stored(app, rid)[0] == "closed"


TIPSTER_QUESTIONS = ("What happened? Describe what you saw or heard.",
                     "Where? An address, a landmark or a description of the place.",
                     "People: how many, ages, languages, descriptions")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_referral_form_speaks_to_staff(app: Flask, lang: str) -> None:
    """What can be shared is named as staff see a case, not asked as the tipster was asked."""
    people = coalition(app)
    tip_id = _tip(app)
    hub = signed_in(app, people.staff["hub"], PASSPHRASE)
    with app.test_request_context(), force_locale(lang):
        tipster = [gettext(q) for q in TIPSTER_QUESTIONS]
    if lang == "ar":
        assert tipster[0] != TIPSTER_QUESTIONS[0]  # the Arabic catalogue has the question
    form = _get(hub, f"/staff/tips/{tip_id}/refer", lang)
    choices = dict(re.findall(r'value="(what|where|people)"[^>]*> <label for="[^"]+">([^<]+)<',
                              form))
    assert set(choices) == {"what", "where", "people"}, form[:2000]
    for question in tipster:
        assert question not in form
    if lang == "en":
        assert choices == {"what": "What the tipster reported", "where": "Where it happened",
                           "people": "People involved"}
    rid = referral_id(refer(hub, tip_id, "fresno-shelter", ["what", "where"], "agreed")
                      .headers["Location"])
    shelter = signed_in(app, people.staff["shelter"], SHELTER_PASS)
    view = _get(shelter, f"/staff/referrals/{rid}", lang)
    assert "Workers sleep in the packing shed" in view
    for question in tipster:
        assert question not in view
    if lang == "en":
        assert "<dt>What the tipster reported</dt>" in view


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_photos_box_is_named_by_its_own_label(app: Flask, lang: str) -> None:
    people = coalition(app)
    tip_id = _tip(app)
    hub = signed_in(app, people.staff["hub"], PASSPHRASE)
    form = _get(hub, f"/staff/tips/{tip_id}/refer", lang)
    found = re.search(r'<label for="([^"]+)">(<input[^>]*>) <span>([^<]+)</span></label>', form)
    assert found, form[:3000]
    box = found.group(2)
    assert 'type="checkbox"' in box and 'name="photos"' in box
    assert f'id="{found.group(1)}"' in box
    if lang == "en":
        assert found.group(3) == "Share the photos too"
