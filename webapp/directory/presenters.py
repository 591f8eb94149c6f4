"""Turn stored services into what a page shows, in the reader's language."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, get_day_names
from flask_babel import gettext as _

from webapp import digits, i18n
from webapp.directory import hours, taxonomy
from webapp.models import Service

STALE_AFTER = dt.timedelta(days=365)
# "%" too: a mail program decodes %0A in a mailto: address into a new header line.
_EMAIL = re.compile(r"[^@\s?&,;:<>\"'/%]+@[^@\s?&,;:<>\"'/%]+\.[^@\s?&,;:<>\"'/%]+")


@dataclass
class PhoneView:
    """A number to show, with the link that dials or texts it."""

    number: str
    href: str
    kind: str  # voice, sms, whatsapp, text, fax
    label: str
    description: str | None


@dataclass
class ServiceView:
    """Everything a template needs about one service."""

    id: str
    name: str
    name_lang: str | None  # set when the text is not in the page's language
    description: str
    description_lang: str | None
    eligibility: str | None
    eligibility_lang: str | None
    organization: str | None
    status: str
    status_label: str | None
    alert: str | None
    is_demo: bool
    categories: list[tuple[str, str]]
    populations: list[str]
    phones: list[PhoneView]
    languages: list[str]
    places: list[dict[str, Any]]
    hours: list[tuple[str, str]]
    always_open: bool
    open_now: bool | None
    verified: str | None
    stale: bool
    free: bool
    url: str | None  # only http(s); anything else is never linked
    email: str | None
    source_url: str | None
    country: str | None
    src_lang: str | None  # language of untranslated fields (alert, hours notes), if not ours
    distance_km: float | None = None
    # Shown when this page uses a stored translation: a machine's, or a person's
    # review (its date).
    translation: str | None = None
    translation_reviewed: str | None = None
    # Set when any of name, description, eligibility or alert is shown in another language
    # than the page's: a sentence saying so in the reader's language, and a short label.
    untranslated: str | None = None
    shown_in: str | None = None

    @property
    def town(self) -> str | None:
        """The first place's town (or region): all a text message or a booklet names of
        where a service is, never a street."""
        return next((str(p.get("city") or p.get("region")) for p in self.places
                     if p.get("city") or p.get("region")), None)

    @property
    def url_label(self) -> str:
        """The website without its scheme or a bare trailing slash, as people write it."""
        parts = urlsplit(self.url or "")
        return ((parts.hostname or "").removeprefix("www.") + parts.path).rstrip("/")

    @property
    def source_host(self) -> str:
        """The source's site, short enough for a phone ("humantraffickinghotline.org")."""
        host = urlsplit(self.source_url or "").hostname or self.source_url or ""
        return host.removeprefix("www.")


def _typed(text: str) -> bool:
    """Nothing in text but what a person types in an address: no control, format (bidi)
    or space characters and no backslash, which browsers and mail programs read otherwise
    than the text shows."""
    return not any(unicodedata.category(ch)[0] in "CZ" or ch == "\\" for ch in text)


def web_link(url: str | None) -> str | None:
    """The address if a browser may follow it from our page: http or https with a host."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # "http://[" and other malformed hosts
        return None
    if parts.scheme.lower() in ("http", "https") and host and _typed(text):
        return parts.geturl()
    return None


def mail_address(email: str | None) -> str | None:
    """A plain address for a mailto: link (one @, no spaces, no header tricks)."""
    text = (email or "").strip()
    if _EMAIL.fullmatch(text) and _typed(text):
        return text
    return None


def sort_key(text: str) -> str:
    """A reader-neutral sort key: accents and case folded (so É sorts with E)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold())
                   if not unicodedata.combining(c))


def phone_views(service: Service) -> list[PhoneView]:
    """A service's numbers as every page shows them: labelled Call, Text or WhatsApp, each
    with the link that dials exactly it."""
    return [PhoneView(p.number, dial_href(p.number, p.type, service.country), p.type,
                      phone_label(p.type), p.description) for p in service.phones]


def dial_href(number: str, kind: str, country: str | None = None) -> str:
    """tel:, sms: or WhatsApp link that dials exactly the number shown (see webapp.digits);
    "" when the text holds no number to dial, so the template shows it without a link."""
    if kind in ("sms", "text"):
        main = digits.main_number(number)
        return f"sms:{main}" if main else ""
    if kind == "whatsapp":
        wa = digits.international(number, country)
        return f"https://wa.me/{wa}" if wa else ""
    dialled = digits.dial(number)
    return f"tel:{dialled}" if dialled else ""


def phone_label(kind: str) -> str:
    """A translated word for the kind of line."""
    return {
        "sms": _("Text"),
        "text": _("Text"),
        "whatsapp": _("WhatsApp"),
        "fax": _("Fax"),
    }.get(kind, _("Call"))


@functools.lru_cache(maxsize=4096)
def language_name(code: str, locale: str) -> str:
    """A language's name in the reader's language (falls back to the code). Cached: a results
    page asks for dozens, and Babel parses locale data on each call."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(locale.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return code
    return name or code


def _status_label(status: str) -> str | None:
    return {
        "temporarily closed": _("Temporarily closed"),
        "inactive": _("No longer active"),
        "defunct": _("Closed permanently"),
    }.get(status)


def _hours(service: Service, locale: str) -> list[tuple[str, str]]:
    days = get_day_names("wide", locale=locale.replace("-", "_"))
    per_day: dict[int, list[str]] = {d: [] for d in range(7)}
    for s in service.schedules:
        for slot in hours.slots(s.byday, s.opens_at, s.closes_at):
            per_day[slot.weekday].append(
                f"{hours.format_minutes(slot.opens)}–{hours.format_minutes(slot.closes)}"
            )
    comma = i18n.separators()[0]
    return [(days[d], comma.join(v) if v else _("Closed")) for d, v in per_day.items()]


def is_open_now(service: Service, now: dt.datetime) -> bool | None:
    """Open at this instant in the service's own zone, or None when hours are unknown."""
    if not service.schedules:
        return None
    for s in service.schedules:
        tz = hours.zone(s.tz_name, s.tz_offset)
        if hours.is_open(hours.slots(s.byday, s.opens_at, s.closes_at), tz, now):
            return True
    return False


def shown_in(service: Service, tag: str) -> tuple[str, bool] | None:
    """The language a listing's words are shown in on a page in `tag` when it is not the
    page's (no reviewed translation): (that language, whether only the eligibility or the
    alert is), or None. The online page and the offline copy say the same from this."""
    tr = next((t for t in service.translations if t.locale == tag), None)
    src = service.source_language or "en"
    if src == tag:
        return None
    whole = (service.name and not (tr and tr.name)) or (
        service.description and not (tr and tr.description))
    if whole:
        return src, False
    if (service.eligibility_description and not (tr and tr.eligibility_description)) or (
            service.alert):
        return src, True
    return None


def present(service: Service, *, now: dt.datetime | None = None,
            distance_km: float | None = None) -> ServiceView:
    """Build the view of one service for the current locale."""
    loc = i18n.current()
    now = now or dt.datetime.now(dt.UTC)
    tr = next((t for t in service.translations if t.locale == loc.tag), None)
    src = service.source_language or "en"

    def pick(translated: str | None, original: str | None) -> tuple[str | None, str | None]:
        if translated:
            return translated, None
        if not original:
            return None, None
        return original, (src if src != loc.tag else None)

    name, name_lang = pick(tr.name if tr else None, service.name)
    desc, desc_lang = pick(tr.description if tr else None, service.description)
    elig, elig_lang = pick(tr.eligibility_description if tr else None,
                           service.eligibility_description)
    cats = []
    pops = []
    for t in service.terms:
        term = taxonomy.BY_CODE.get((t.taxonomy_name, t.code))
        if term and t.taxonomy_name == taxonomy.CATEGORIES:
            cats.append((t.code, str(term.label)))
        elif term:
            pops.append(str(term.label))
    phones = phone_views(service)
    places = []
    for sal in service.locations:
        l_ = sal.location
        place = {"city": l_.city, "region": l_.region, "country": l_.country,
                 "confidential": l_.confidential, "name": l_.name,
                 "lat": l_.public_latitude, "lng": l_.public_longitude}
        if not l_.confidential:
            place["address"] = ", ".join(x for x in (l_.address_1, l_.address_2) if x)
            place["postal_code"] = l_.postal_code
        places.append(place)
    org = service.organization
    verified = None
    stale = False
    if service.assured_date:
        verified = format_date(service.assured_date, "long", locale=loc.babel)
        stale = now.date() - service.assured_date > STALE_AFTER
    shown = shown_in(service, loc.tag)
    other = shown[0] if shown else None
    original = language_name(other, loc.babel) if other else ""
    reader = i18n.language_in_reader(loc.tag)
    if shown and not shown[1]:
        note = _("Not available in %(reader)s: shown in %(original)s.", reader=reader,
                 original=original)
    else:  # name and description translated; the eligibility or the alert is not
        note = _("Some details are not available in %(reader)s: shown in %(original)s.",
                 reader=reader, original=original)
    return ServiceView(
        untranslated=note if other else None,
        shown_in=_("In %(language)s", language=original) if other else None,
        id=service.id, name=name or service.name, name_lang=name_lang,
        description=desc or "", description_lang=desc_lang, eligibility=elig,
        eligibility_lang=elig_lang,
        organization=service.organization.name if service.organization else None,
        status=service.status, status_label=_status_label(service.status), alert=service.alert,
        is_demo=service.is_demo, categories=cats, populations=pops, phones=phones,
        languages=[language_name(lang.code, loc.babel) for lang in service.languages],
        places=places, hours=_hours(service, loc.babel), always_open=service.always_open,
        open_now=is_open_now(service, now), verified=verified, stale=stale, free=service.free,
        url=web_link(service.url or (org.website if org else None)),
        email=mail_address(service.email or (org.email if org else None)),
        source_url=service.source_url, country=service.country,
        src_lang=src if src != loc.tag else None, distance_km=distance_km,
        translation=None if tr is None or not (tr.name or tr.description) else
        "reviewed" if tr.reviewed_on else "machine",
        translation_reviewed=format_date(tr.reviewed_on, "long", locale=loc.babel)
        if tr is not None and tr.reviewed_on else None,
    )
