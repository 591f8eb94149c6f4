"""A poster request, parsed and checked, and the spec it draws: the words in each language
and the numbers the NGO picked. Used by the builder pages and by `flask posters build`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlencode

from flask import current_app
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import BadRequest, ServiceUnavailable

from webapp import fonts, i18n
from webapp.directory import taxonomy
from webapp.directory.hotlines import country_lines
from webapp.directory.queries import first_lines
from webapp.extensions import db
from webapp.models import Service
from webapp.posters import campaigns, spec, words

MAX_LINES = 4
MAX_ORGANISATION = 80  # characters of the free-text organisation name a poster prints
CONTROL = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
TARGETS = ("home", "tip", *taxonomy.CATEGORY_CODES)


class Number(NamedTuple):
    """One of a country's real lines that a poster may print."""

    digits: str  # as a poster URL names it (numbers=911,18883737888)
    number: str  # as printed
    kind: str  # voice, sms, text
    role: str  # emergency, helpline, other
    default: bool  # picked when the URL names no numbers


@dataclass
class Request:
    """A parsed poster request."""

    tags: list[str]
    format: str
    target: str
    country: str
    organisation: str
    state_notice: bool
    campaign: str = ""
    numbers: tuple[Number, ...] = ()  # the numbers to print, in order


class BadPoster(BadRequest):
    """A parameter we cannot use; the message names it (shown on the 400 page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.haven_message = message


def countries() -> list[str]:
    """Countries with verified hotlines in the directory."""

    return sorted(c for c in db.session.scalars(
        select(Service.country).where(Service.is_demo.is_(False)).distinct()) if c)


def _values(args: Any, name: str) -> list[str]:
    """A list parameter, repeated (checkboxes) or comma-separated (share URLs)."""
    getlist = getattr(args, "getlist", None)
    raw = getlist(name) if getlist else [args.get(name) or ""]
    return [v.strip() for item in raw for v in str(item or "").split(",") if v.strip()]


def language_by_name(value: str) -> i18n.LocaleInfo | None:
    """A shipped language from its tag ("zh", "zh-Hans"), its own name ("Español") or its
    English name ("Spanish"), so an NGO never has to know the codes."""
    found = i18n.match_tag(value)
    if found is not None:
        return found
    low = value.casefold()
    return next((loc for loc in i18n.LOCALES
                 if low in (loc.native.casefold(), loc.english.casefold())), None)


def digits(number: str) -> str:
    """A phone number's digits, as a poster URL names it (numbers=911,18883737888)."""
    return re.sub(r"\D", "", number)


def country_numbers(country: str) -> list[Number]:
    """A country's real lines, in order, each number once.

    role: "emergency" for the emergency service's first number, "helpline" for a hotline,
    "other" for the emergency service's further numbers. The default pick is the emergency
    number and the country's trafficking hotline, as the home page shows them first.
    """
    lines = country_lines(country)
    first, _rest = first_lines(lines)
    out: list[Number] = []
    for s in lines:
        if s.is_demo:
            continue
        emergency = any(code == "emergency" for code, _label in s.categories)
        for i, p in enumerate(s.phones):
            if p.kind not in ("voice", "sms", "text"):
                continue
            role = ("emergency" if i == 0 else "other") if emergency else "helpline"
            if digits(p.number) not in {n.digits for n in out}:
                out.append(Number(digits(p.number), p.number, p.kind, role,
                                  s in first and i == 0))
    return out


def parse(args: Any) -> Request:
    """Validate the query; every refusal says which parameter and why."""
    raw_langs = _values(args, "languages") or [i18n.current().tag]
    choices = ", ".join(f"{loc.native} ({loc.tag})" for loc in i18n.LOCALES)
    raw = []
    for value in raw_langs:
        loc = language_by_name(value)
        if loc is None:
            raise BadPoster(_("languages: “%(value)s” is not a shipped language. Choose from: "
                              "%(choices)s.", value=value[:20], choices=choices))
        raw.append(loc.tag)
    if not 1 <= len(raw) <= 3 or len(set(raw)) != len(raw):
        raise BadPoster(_("languages: choose 1 to 3 different languages."))
    fmt = args.get("format", "a4")
    if fmt not in spec.FORMATS:
        raise BadPoster(_("format: “%(value)s” is not a format we print.", value=fmt[:20]))
    target = args.get("target", "home")
    if target not in TARGETS:
        raise BadPoster(_("target: “%(value)s” is not a page the code can open.",
                          value=target[:20]))
    country = (args.get("country") or current_app.config["HAVEN_COUNTRY"]).upper()
    if country not in countries():
        raise BadPoster(_("country: “%(value)s” has no verified hotline in this directory.",
                          value=country[:8]))
    known = {n.digits: n for n in country_numbers(country)}
    wanted = [digits(v) for v in _values(args, "numbers")]
    if not wanted:
        wanted = [n.digits for n in known.values() if n.default]
        if args.get("mode") == "ca":  # § 52.6 names the hotline's text line too
            wanted += [n.digits for n in known.values()
                       if n.role == "helpline" and n.kind in ("sms", "text")][:1]
    for d in wanted:
        if d not in known:
            raise BadPoster(_("numbers: “%(value)s” is not a verified number for this country.",
                              value=d[:20]))
    if not 1 <= len(wanted) <= MAX_LINES or len(set(wanted)) != len(wanted):
        raise BadPoster(_("numbers: choose 1 to %(max)d different numbers.", max=MAX_LINES))
    # One spelling per name (NFC, single spaces), so that the render cache knows it again.
    raw_org = str(args.get("organisation") or "")
    org = " ".join(unicodedata.normalize("NFC", raw_org[:4 * MAX_ORGANISATION]).split())
    if len(raw_org) > 4 * MAX_ORGANISATION or len(org) > MAX_ORGANISATION \
            or CONTROL.search(org):
        raise BadPoster(_("organisation: at most 80 characters, no control characters."))
    notice = args.get("mode") == "ca"
    if notice:
        if fmt not in ("letter", "tearoff"):
            raise BadPoster(_("format: the California notice must be US Letter or larger; "
                              "A4 is narrower than %(width)s inches.",
                              width=format_decimal(8.5)))
        if raw[:2] != ["en", "es"] or len(raw) != 3:
            raise BadPoster(_("languages: the California notice needs English, Spanish and "
                              "one more language, in that order."))
    campaign = (args.get("campaign") or "").strip().lower()
    if campaign:
        camp = campaigns.resolve(campaign)
        if camp is None:
            raise BadPoster(_("campaign: “%(value)s” is not a campaign code.",
                              value=campaign[:16]))
        # The printed code is the campaign's short link, so its page decides the words.
        opened = campaigns.opens(camp)
        target = opened if opened in TARGETS else "home"
    missing = fonts.missing_scripts(raw)
    if missing:
        raise BadPoster(_("languages: no font for %(scripts)s is installed on this server.",
                          scripts=", ".join(missing)))
    return Request(raw, fmt, target, country, org, notice, campaign,
                   tuple(known[d] for d in wanted))


def share_query(req: Request) -> str:
    """The canonical share URL query: codes, not names (languages=en,es&numbers=911,...)."""
    args = {"languages": ",".join(req.tags), "format": req.format, "target": req.target,
            "country": req.country, "numbers": ",".join(n.digits for n in req.numbers)}
    if req.organisation:
        args["organisation"] = req.organisation
    if req.state_notice:
        args["mode"] = "ca"
    if req.campaign:
        args["campaign"] = req.campaign
    return urlencode(args)


def public_base() -> str | None:
    """The site's address as printed: HAVEN_PUBLIC_URL without its trailing slash, or None
    when it is not an http(s) address. Never the address this request used: that is often
    127.0.0.1 behind a proxy, and a Host header is the sender's to choose, so a cached poster
    could print someone else's site."""
    base = str(current_app.config.get("HAVEN_PUBLIC_URL") or "").strip().rstrip("/")
    return base if re.match(r"https?://[^/\s]+", base) else None


def no_address_message() -> str:
    """Why no poster can be drawn yet, and who can fix it (builder page and refusals)."""
    return " ".join([
        _("Posters cannot be made yet: this site’s public address is not set, so a printed "
          "code would not open Haven on a reader’s phone."),
        # Translators: %(setting)s is the name of a server setting; %(example)s a web address.
        _("Your organisation sets it once: an administrator puts the address people use to "
          "reach Haven (for example %(example)s) in the %(setting)s setting, then restarts "
          "Haven.", example="https://help.example.org", setting="HAVEN_PUBLIC_URL"),
    ])


class NoPublicAddress(ServiceUnavailable):
    """No HAVEN_PUBLIC_URL: a printed code could only open a guessed address."""

    def __init__(self) -> None:
        message = no_address_message()
        super().__init__(message)
        self.haven_message = message


def target_url(req: Request, base: str) -> str:
    """A short URL with no language in it: the reader's phone picks the language (its
    Accept-Language) when the code is scanned, as the poster promises."""
    if req.campaign:
        return f"{base}/p/{req.campaign}"
    if req.target == "home":
        return f"{base}/"
    if req.target == "tip":
        return f"{base}/tip"
    return f"{base}/search?category={req.target}"


def number_label(role: str, kind: str) -> str:
    """What a printed number is for, in the current language."""
    if role == "emergency":
        return _("Emergency")
    word = _("Confidential helpline") if role == "helpline" else _("Other numbers")
    return f"{word} · {_('Text')}" if kind in ("sms", "text") else word


def format_label(name: str) -> str:
    """A format's name in the reader's language."""
    return {
        "a4": _("A4 poster"),
        "letter": _("US Letter poster"),
        "a5": _("A5 flyer"),
        "cards": _("Business cards (10 per page, with cut marks)"),
        "stickers": _("Restroom stickers (8 per page)"),
        "tearoff": _("Poster with tear-off tabs"),
    }[name]


def spec_for(req: Request, base: str | None = None) -> spec.Spec:
    """Translate the words into each language and collect the numbers the NGO picked.

    The words follow the page the code opens (see words.py); `base` defaults to
    HAVEN_PUBLIC_URL, and without one there is no poster (NoPublicAddress).
    """
    base = base or public_base()
    if base is None:
        raise NoPublicAddress
    blocks = []
    for tag in req.tags:
        info = i18n.BY_TAG[tag]
        with force_locale(info.babel):
            lines = tuple(spec.Line(number_label(n.role, n.kind), n.number)
                          for n in req.numbers)
            said = words.words(req.target)
            blocks.append(spec.Block(tag=tag, headline=said.headline, body=said.body,
                                     scan=said.scan, call=said.call, lines=lines))
    return spec.Spec(req.format, target_url(req, base), tuple(blocks), req.organisation,
                     req.state_notice)
