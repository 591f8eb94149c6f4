"""What a listing page shows, built by webapp/directory/presenters.py, checked field by field.

A survivor acts on this view: the number the Call button dials, whether "open now" is true,
which website and e-mail are linked, which text is in another language and says so, whether
a confidential shelter's street is left out. Each test builds a service as plain values (no
database) and asserts what the person would see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp import create_app, i18n
from webapp.directory import presenters
from webapp.directory.presenters import ServiceView

settings.register_profile("presenters", deadline=None, max_examples=40)
PROFILE = settings.get_profile("presenters")

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 2, 17, 30, tzinfo=UTC)  # Monday 09:30 in Fresno
DIGIT_ZEROS = [0x30, 0x0660, 0x06F0, 0x0966, 0xFF10]


@pytest.fixture(scope="module")
def app() -> Flask:
    """An app for translations and dates only: nothing here touches its database."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "SECRET_KEY": "test", "HAVEN_SEED_ON_START": False,
                       "HAVEN_COUNTRY": "US"})


@pytest.fixture
def en(app: Flask) -> Iterator[None]:
    """Within: a request in English."""
    with app.test_request_context("/en/"), i18n.speaking("en"):
        yield


def schedule(byday: str | None = "MO,TU,WE,TH,FR", opens: str | None = "09:00",
             closes: str | None = "17:00", tz: str | None = "America/Los_Angeles",
             offset: float | None = None) -> SimpleNamespace:
    return SimpleNamespace(byday=byday, opens_at=opens, closes_at=closes, tz_name=tz,
                           tz_offset=offset)


def location(confidential: bool = False, **fields: Any) -> SimpleNamespace:
    base = {"city": "Fresno", "region": "CA", "country": "US", "confidential": confidential,
            "name": "Main office", "public_latitude": 36.74, "public_longitude": -119.78,
            "address_1": "1 Elm St", "address_2": "Suite 2", "postal_code": "93721"}
    base.update(fields)
    return SimpleNamespace(location=SimpleNamespace(**base))


def service(**fields: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "id": "0b0e0c0d-0000-4000-8000-000000000001", "name": "Safe Harbor Shelter",
        "description": "Beds for tonight.", "eligibility_description": None,
        "source_language": "en", "translations": [], "terms": [], "phones": [],
        "locations": [], "organization": None, "assured_date": None, "status": "active",
        "alert": None, "is_demo": False, "languages": [], "schedules": [],
        "always_open": False, "free": True, "url": None, "email": None, "source_url": None,
        "country": "US",
    }
    base.update(fields)
    return SimpleNamespace(**base)


# links -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "link"), [
    ("https://example.org/help", "https://example.org/help"),
    ("  HTTP://example.org ", "http://example.org"),
    ("http://example.org/a?b=c", "http://example.org/a?b=c"),
    ("javascript:alert(1)", None),
    ("https://", None),
    ("ftp://example.org", None),
    ("example.org", None),
    ("", None),
    (None, None),
])
def test_web_link(url: str | None, link: str | None) -> None:
    """Only http(s) with a host is ever linked."""
    assert presenters.web_link(url) == link


@pytest.mark.parametrize(("email", "address"), [
    ("help@example.org", "help@example.org"),
    ("  help@example.org  ", "help@example.org"),
    ("help@example", None),
    ("a@b@example.org", None),
    ("help@example.org?cc=x@evil.example", None),
    ("help @example.org", None),
    ("", None),
    (None, None),
])
def test_mail_address(email: str | None, address: str | None) -> None:
    """One plain address or nothing: no header tricks in a mailto: link."""
    assert presenters.mail_address(email) == address


@pytest.mark.parametrize(("text", "key"), [
    ("Éclair", "eclair"), ("eclair", "eclair"), ("ÅBC", "abc"), ("straße", "strasse"),
    ("مأوى", "ماوى"),  # the hamza is a combining mark under NFKD
])
def test_sort_key(text: str, key: str) -> None:
    """Accents and case do not change where a name sorts."""
    assert presenters.sort_key(text) == key


@pytest.mark.parametrize(("number", "kind", "href"), [
    ("(559) 555-0140", "voice", "tel:5595550140"),
    ("(559) 555-0140", "fax", "tel:5595550140"),
    ("(559) 555-0140 ext. 12", "voice", "tel:5595550140,12"),
    ("(559) 555-0140 ext. 12", "sms", "sms:5595550140"),
    ("(559) 555-0140", "text", "sms:5595550140"),
    ("(559) 555-0140", "whatsapp", "https://wa.me/15595550140"),
    ("+44 (0)20 7946 0000", "voice", "tel:+442079460000"),
    ("no number", "voice", ""),
    ("no number", "sms", ""),
    ("no number", "whatsapp", ""),
])
def test_dial_href(number: str, kind: str, href: str) -> None:
    """The link dials exactly the number shown; no number, no link."""
    assert presenters.dial_href(number, kind, "US") == href


@PROFILE
@given(st.sampled_from(DIGIT_ZEROS), st.lists(st.integers(0, 9), min_size=10, max_size=10))
def test_dial_href_in_any_script(zero: int, digits: list[int]) -> None:
    """A number written in any digits dials the same ASCII digits."""
    ascii_digits = "".join(map(str, digits))
    typed = "".join(chr(zero + d) for d in digits)
    assert presenters.dial_href(typed, "voice") == f"tel:{ascii_digits}"
    assert presenters.dial_href(typed, "sms") == f"sms:{ascii_digits}"


def test_labels_in_english(en: None) -> None:
    """Each kind of line has its word; anything else is a call."""
    assert [presenters.phone_label(k) for k in ("sms", "text", "whatsapp", "fax", "voice",
                                                "pager")] == ["Text", "Text", "WhatsApp",
                                                              "Fax", "Call", "Call"]
    assert presenters._status_label("temporarily closed") == "Temporarily closed"
    assert presenters._status_label("inactive") == "No longer active"
    assert presenters._status_label("defunct") == "Closed permanently"
    assert presenters._status_label("active") is None


@pytest.mark.parametrize(("code", "locale", "name"), [
    ("ar", "en", "Arabic"), ("fa", "en", "Persian"), ("pt-BR", "en", "Portuguese (Brazil)"),
    ("en", "ar", "الإنجليزية"), ("zz", "en", "zz"), ("not a code", "en", "not a code"),
])
def test_language_name(code: str, locale: str, name: str) -> None:
    """A language's name in the reader's language; an unknown code is shown as written."""
    assert presenters.language_name(code, locale) == name


# the view's derived fields -----------------------------------------------------------------


def view(**fields: Any) -> ServiceView:
    base: dict[str, Any] = {f: None for f in ServiceView.__dataclass_fields__}
    base.update(places=[], phones=[])
    base.update(fields)
    return ServiceView(**base)


def test_town_is_the_first_place_with_one() -> None:
    """A text message names the town (or region), never the street."""
    assert view(places=[{"city": None, "region": None}, {"city": "Fresno", "region": "CA"}]
                ).town == "Fresno"
    assert view(places=[{"city": "", "region": "CA"}]).town == "CA"
    assert view(places=[{"city": None, "region": None}]).town is None
    assert view(places=[]).town is None


@pytest.mark.parametrize(("url", "label"), [
    ("https://www.example.org/", "example.org"),
    ("https://example.org/help/", "example.org/help"),
    ("http://www.example.org/a/b", "example.org/a/b"),
    (None, ""),
])
def test_url_label(url: str | None, label: str) -> None:
    """The website as people write it."""
    assert view(url=url).url_label == label


@pytest.mark.parametrize(("url", "host"), [
    ("https://www.humantraffickinghotline.org/en", "humantraffickinghotline.org"),
    ("https://example.org", "example.org"),
    ("not a url", "not a url"),
    (None, ""),
])
def test_source_host(url: str | None, host: str) -> None:
    """The source's site, short enough for a phone."""
    assert view(source_url=url).source_host == host


# hours and open now ------------------------------------------------------------------------


def test_hours_list_every_day_and_closed_ones(en: None) -> None:
    """Seven days, Monday first, every slot of a day, "Closed" where there is none."""
    svc = service(schedules=[schedule(), schedule("SA", "22:00", "02:00"),
                             schedule("MO", "18:00", "20:00")])
    assert presenters._hours(svc, "en") == [
        ("Monday", "09:00–17:00, 18:00–20:00"), ("Tuesday", "09:00–17:00"),
        ("Wednesday", "09:00–17:00"), ("Thursday", "09:00–17:00"), ("Friday", "09:00–17:00"),
        ("Saturday", "22:00–24:00"), ("Sunday", "00:00–02:00")]
    assert presenters._hours(service(), "en") == [
        (day, "Closed") for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                    "Saturday", "Sunday")]


def test_hours_use_the_reader_day_names(app: Flask) -> None:
    """Day names in the reader's language."""
    with app.test_request_context("/es/"), i18n.speaking("es"):
        rows = presenters._hours(service(schedules=[schedule("MO")]), "es")
    assert rows[0] == ("lunes", "09:00–17:00")


def test_open_now_in_the_service_zone() -> None:
    """Open now is read in each schedule's own zone; unknown hours are None, not closed."""
    svc = service(schedules=[schedule()])
    assert presenters.is_open_now(svc, NOW) is True
    assert presenters.is_open_now(svc, NOW + dt.timedelta(hours=8)) is False
    assert presenters.is_open_now(service(), NOW) is None
    two = service(schedules=[schedule("SU"), schedule("MO", tz=None, offset=-8)])
    assert presenters.is_open_now(two, NOW) is True
    assert presenters.is_open_now(service(schedules=[schedule("SU")]), NOW) is False


# the whole view ----------------------------------------------------------------------------


def test_present_a_full_listing(en: None) -> None:
    """Every field a listing page shows, from one service."""
    org = SimpleNamespace(name="Harbor Network", website="https://www.harbor.example/",
                          email="intake@harbor.example")
    svc = service(
        terms=[SimpleNamespace(taxonomy_name="haven-categories", code="shelter"),
               SimpleNamespace(taxonomy_name="haven-populations", code="women"),
               SimpleNamespace(taxonomy_name="haven-categories", code="no-such-code")],
        phones=[SimpleNamespace(number="(559) 555-0140", type="voice", description="24 h"),
                SimpleNamespace(number="(559) 555-0199", type="sms", description=None),
                SimpleNamespace(number="(559) 555-0123", type="whatsapp", description=None)],
        locations=[location(), location(confidential=True, city="Clovis")],
        organization=org, assured_date=dt.date(2026, 1, 15), languages=[
            SimpleNamespace(code="es"), SimpleNamespace(code="ar")],
        schedules=[schedule()], status="temporarily closed", alert="Closed for repairs",
        is_demo=True, always_open=False, free=False, source_url="https://www.src.example/x",
    )
    v = presenters.present(svc, now=NOW, distance_km=3.5)
    assert v.id == svc.id
    assert (v.name, v.name_lang, v.description, v.description_lang) == (
        "Safe Harbor Shelter", None, "Beds for tonight.", None)
    assert (v.eligibility, v.eligibility_lang) == (None, None)
    assert v.organization == "Harbor Network"
    assert (v.status, v.status_label, v.alert, v.is_demo) == (
        "temporarily closed", "Temporarily closed", "Closed for repairs", True)
    assert v.categories == [("shelter", "Shelter")]
    assert v.populations == ["Women"]
    assert [(p.number, p.href, p.kind, p.label, p.description) for p in v.phones] == [
        ("(559) 555-0140", "tel:5595550140", "voice", "Call", "24 h"),
        ("(559) 555-0199", "sms:5595550199", "sms", "Text", None),
        ("(559) 555-0123", "https://wa.me/15595550123", "whatsapp", "WhatsApp", None)]
    assert v.languages == ["Spanish", "Arabic"]
    assert v.places == [
        {"city": "Fresno", "region": "CA", "country": "US", "confidential": False,
         "name": "Main office", "lat": 36.74, "lng": -119.78,
         "address": "1 Elm St, Suite 2", "postal_code": "93721"},
        {"city": "Clovis", "region": "CA", "country": "US", "confidential": True,
         "name": "Main office", "lat": 36.74, "lng": -119.78}]  # no street, no postcode
    assert v.hours[0] == ("Monday", "09:00–17:00") and v.hours[6] == ("Sunday", "Closed")
    assert (v.always_open, v.open_now, v.free) == (False, True, False)
    assert v.verified == "January 15, 2026" and v.stale is False
    assert v.url == "https://www.harbor.example/" and v.email == "intake@harbor.example"
    assert (v.source_url, v.country, v.src_lang, v.distance_km) == (
        "https://www.src.example/x", "US", None, 3.5)
    assert (v.translation, v.translation_reviewed) == (None, None)


def test_present_stale_and_own_links(en: None) -> None:
    """Checked over a year ago is stale; the service's own website and e-mail come first."""
    org = SimpleNamespace(name="N", website="https://org.example", email="org@org.example")
    svc = service(assured_date=dt.date(2025, 3, 1), url="https://own.example",
                  email="own@own.example", organization=org)
    v = presenters.present(svc, now=NOW)
    assert v.stale is True
    assert (v.url, v.email) == ("https://own.example", "own@own.example")
    exactly_a_year = presenters.present(service(assured_date=dt.date(2025, 3, 2)), now=NOW)
    assert exactly_a_year.stale is False
    bare = presenters.present(service(url="javascript:x", email="bad"), now=NOW)
    assert (bare.url, bare.email, bare.organization, bare.verified) == (None, None, None, None)
    assert bare.stale is False  # never checked is not "checked over a year ago"


def test_present_dates_in_the_reader_language(app: Flask) -> None:
    """The date a listing was checked reads in the reader's language."""
    with app.test_request_context("/es/"), i18n.speaking("es"):
        v = presenters.present(service(assured_date=dt.date(2026, 1, 15)), now=NOW)
    assert v.verified == "15 de enero de 2026"


def test_hours_accept_a_language_tag(en: None) -> None:
    """A BCP 47 tag ("zh-Hans") names the day as well as Babel's own id ("zh_Hans")."""
    svc = service(schedules=[schedule("MO")])
    assert presenters._hours(svc, "zh-Hans")[0] == ("星期一", "09:00–17:00")
    assert presenters._hours(svc, "zh_Hans")[0] == ("星期一", "09:00–17:00")


@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Etc/GMT-14"])
def test_staleness_is_judged_by_the_utc_date(en: None, zone: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the server's own zone, "over a year ago" counts days in UTC."""
    import time

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        utc_today = dt.datetime.now(dt.UTC).date()
        for days, stale in ((365, False), (366, True)):
            svc = service(assured_date=utc_today - dt.timedelta(days=days))
            assert presenters.present(svc).stale is stale
    finally:
        monkeypatch.undo()
        time.tzset()


def test_present_without_now_uses_the_clock(en: None) -> None:
    """Without a time given, open-now is read at the present moment (24/7 is always open)."""
    svc = service(schedules=[schedule(None, "00:00", "00:00")])
    assert presenters.present(svc).open_now is True


def test_present_marks_text_not_in_the_reader_language(app: Flask) -> None:
    """An Arabic reader of an English-only listing is told, in Arabic, which fields are not
    in Arabic; a stored translation is used and labelled machine or reviewed."""
    with app.test_request_context("/ar/"), i18n.speaking("ar"):
        v = presenters.present(service(eligibility_description="Adults"), now=NOW)
        assert (v.name_lang, v.description_lang, v.eligibility_lang, v.src_lang) == (
            "en", "en", "en", "en")
        assert v.untranslated and "الإنجليزية" in v.untranslated
        assert v.shown_in and "الإنجليزية" in v.shown_in
        tr = SimpleNamespace(locale="ar", name="ملجأ", description="أسرّة الليلة",
                             eligibility_description=None, reviewed_on=None)
        v = presenters.present(service(translations=[tr], eligibility_description="Adults"),
                               now=NOW)
        assert (v.name, v.name_lang, v.description, v.description_lang) == (
            "ملجأ", None, "أسرّة الليلة", None)
        assert (v.eligibility, v.eligibility_lang) == ("Adults", "en")
        assert v.translation == "machine" and v.translation_reviewed is None
        assert v.untranslated and "الإنجليزية" in v.untranslated  # the eligibility is not
        for name, description in (("ملجأ", ""), ("", "أسرّة الليلة")):
            part = SimpleNamespace(locale="ar", name=name, description=description,
                                   eligibility_description=None, reviewed_on=None)
            v = presenters.present(service(translations=[part]), now=NOW)
            assert v.untranslated and "الإنجليزية" in v.untranslated
            assert v.translation == "machine"  # a name or a description is a translation
        whole = SimpleNamespace(locale="ar", name="ملجأ", description="أسرّة الليلة",
                                eligibility_description=None, reviewed_on=None)
        v = presenters.present(service(translations=[whole]), now=NOW)
        assert v.untranslated is None
        v = presenters.present(service(translations=[whole], alert="Closed today"), now=NOW)
        assert v.untranslated and "الإنجليزية" in v.untranslated  # the alert is English
        assert v.shown_in and "الإنجليزية" in v.shown_in
        tr.reviewed_on = dt.date(2026, 2, 1)
        tr.eligibility_description = "بالغون"
        v = presenters.present(service(translations=[tr], eligibility_description="Adults"),
                               now=NOW)
        assert v.translation == "reviewed"
        assert v.translation_reviewed == "1 فبراير 2026"
        assert (v.eligibility, v.eligibility_lang) == ("بالغون", None)
        assert v.untranslated is None and v.shown_in is None
        empty = SimpleNamespace(locale="ar", name="", description="",
                                eligibility_description=None, reviewed_on=None)
        v = presenters.present(service(translations=[empty]), now=NOW)
        assert v.translation is None and v.name == "Safe Harbor Shelter"
    with app.test_request_context("/en/"), i18n.speaking("en"):
        v = presenters.present(service(description=""), now=NOW)
        assert (v.description, v.description_lang, v.untranslated) == ("", None, None)
        v = presenters.present(service(source_language="es", alert="Cerrado"), now=NOW)
        assert v.src_lang == "es" and v.name_lang == "es"
        assert v.untranslated == "Not available in English: shown in Spanish."
        assert v.shown_in == "In Spanish"
        half = SimpleNamespace(locale="en", name="Safe Harbor", description="",
                               eligibility_description=None, reviewed_on=None)
        v = presenters.present(service(source_language="es", translations=[half]), now=NOW)
        assert v.untranslated == "Not available in English: shown in Spanish."
        whole = SimpleNamespace(locale="en", name="Safe Harbor", description="Beds",
                                eligibility_description=None, reviewed_on=None)
        v = presenters.present(service(source_language="es", translations=[whole],
                                       eligibility_description="Adultos"), now=NOW)
        assert v.untranslated == ("Some details are not available in English: shown in "
                                  "Spanish.")
        v = presenters.present(service(source_language=None), now=NOW)
        assert v.src_lang is None and v.untranslated is None
