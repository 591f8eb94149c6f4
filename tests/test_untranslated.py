"""Text shown in another language than the page's says so, in the reader's language, and
carries its own lang; a town keeps its direction but aligns with the page; lists of times use
the reader's punctuation; shelter space is on the first screen and on the search cards."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Service, ServiceTranslation

NOTES = {
    "fa": ("فارسی", "انگلیسی"),
    "ar": ("العربية", "الإنجليزية"),
    "ti": ("ትግርኛ", "እንግሊዝኛ"),
}


def _untranslated(app: Flask, lang: str) -> str:
    """A listing with no stored translation in lang."""
    with app.app_context():
        done = select(ServiceTranslation.service_id).where(ServiceTranslation.locale == lang)
        sid = db.session.scalar(select(Service.id).where(Service.id.not_in(done))
                                .where(Service.source_language.in_(["en", None]))
                                .order_by(Service.id).limit(1))
    assert sid
    return sid


@pytest.mark.parametrize("lang", sorted(NOTES))
def test_an_untranslated_listing_says_so_in_the_readers_language(app: Flask, lang: str) -> None:
    sid = _untranslated(app, lang)
    html = app.test_client().get(f"/{lang}/services/{sid}").get_data(as_text=True)
    note = re.search(r'<p class="untranslated"><small>(.*?)</small>', html)
    assert note, html[:2000]
    reader, original = NOTES[lang]
    assert reader in note.group(1) and original in note.group(1)
    assert "Not available" not in note.group(1)  # in the reader's words, not English
    assert re.search(r'<h1 lang="en" dir="auto">', html)


def test_a_translated_listing_has_no_note(app: Flask) -> None:
    sid = _untranslated(app, "fa")
    html = app.test_client().get(f"/en/services/{sid}").get_data(as_text=True)
    assert 'class="untranslated"' not in html


@pytest.mark.parametrize("lang", ["ar", "fa", "ti"])
def test_home_hotlines_in_english_are_marked(app: Flask, lang: str) -> None:
    html = app.test_client().get(f"/{lang}/").get_data(as_text=True)
    lines = re.findall(r'<li class="card line.*?</li>', html, re.S)
    assert lines
    for line in lines:
        if 'lang="en"' in line.split("</a>", 1)[0]:
            label = re.search(r'class="untranslated"><small>(.*?)</small>', line)
            assert label and NOTES[lang][1] in label.group(1), line


def test_cards_align_the_town_with_the_page(app: Flask) -> None:
    html = app.test_client().get("/ar/search", query_string={"q": "legal"}).get_data(
        as_text=True)
    wheres = re.findall(r'<p class="where">(.*?)</p>', html)
    assert wheres
    assert all(w.startswith('<bdi dir="auto">') for w in wheres)
    assert 'class="where" dir=' not in html


def test_times_in_a_day_use_the_readers_comma(app: Flask) -> None:
    """Two opening times on one day are listed with the reader's comma (Arabic "،")."""
    from flask import g

    from webapp.directory import presenters
    from webapp.i18n import BY_TAG
    from webapp.models import Schedule

    svc = Service(id="00000000-0000-4000-8000-000000000001", name="x", status="active")
    svc.schedules = [Schedule(id=f"00000000-0000-4000-8000-00000000000{i}", byday="MO",
                              opens_at=o, closes_at=c)
                     for i, (o, c) in enumerate((("09:00", "12:00"), ("13:00", "17:00")), 2)]
    for lang, comma in (("ar", "\u060c "), ("fa", "\u060c "), ("ti", "\u1363 "), ("en", ", ")):
        with app.test_request_context(f"/{lang}/"):
            g.locale_info = BY_TAG[lang]
            monday = presenters.present(svc).hours[0][1]
        assert monday.split(comma) == ["09:00–12:00", "13:00–17:00"], (lang, monday)


def test_space_sits_under_the_call_buttons_and_on_the_card(app: Flask) -> None:
    from webapp.space import services as space

    with app.app_context():
        sid = db.session.scalar(select(Service.id).where(Service.name.like("%Haven House%"))
                                .order_by(Service.id).limit(1))
        space.set_space(sid, "available", [])
        city = db.session.get(Service, sid).locations[0].location.city  # type: ignore[union-attr]
    client = app.test_client()
    html = client.get(f"/en/services/{sid}").get_data(as_text=True)
    assert html.index('class="actions"') < html.index('data-space="available"') \
        < html.index("Opening hours")
    cards = client.get("/en/search", query_string={"q": "shelter", "near": city}).get_data(
        as_text=True)
    card = next(c for c in re.findall(r'<li class="card.*?</li>', cards, re.S) if sid in c)
    assert 'data-space="available"' in card


@pytest.mark.parametrize("lang", ["ar"])  # the demo data's partly translated listings
def test_a_partly_translated_listing_says_only_details_are_missing(app: Flask,
                                                                   lang: str) -> None:
    """Name and description translated but the eligibility not: the note says some details
    are shown in English, not that the whole listing is (which the page visibly is not)."""
    with app.app_context():
        partial = db.session.scalar(
            select(ServiceTranslation.service_id).join(Service)
            .where(ServiceTranslation.locale == lang, ServiceTranslation.name.is_not(None),
                   ServiceTranslation.description.is_not(None),
                   ServiceTranslation.eligibility_description.is_(None),
                   Service.eligibility_description.is_not(None)).limit(1))
    assert partial is not None
    client = app.test_client()
    note = re.search(r'class="untranslated"><small>(.*?)</small>',
                     client.get(f"/{lang}/services/{partial}").get_data(as_text=True))
    whole = re.search(r'class="untranslated"><small>(.*?)</small>', client.get(
        f"/{lang}/services/{_untranslated(app, lang)}").get_data(as_text=True))
    assert note and whole and note.group(1) != whole.group(1)
    assert NOTES[lang][0] in note.group(1) and NOTES[lang][1] in note.group(1)
