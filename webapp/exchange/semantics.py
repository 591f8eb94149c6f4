"""What the HSDS schema cannot say about a service: times, zones, dates, coordinates,
Haven's extensions, and a confidential street leaking into public text."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from webapp.directory import hours
from webapp.directory.presenters import mail_address, web_link

_LOCALE_KEY = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def date_of(value: Any) -> dt.date | None:
    """An HSDS date (YYYY-MM-DD…) or None; ValueError for a bad one."""
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return None


def _shown(value: Any) -> str:
    """A refused value for an error message: quoted, and cut short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def addresses(rec: dict[str, Any]) -> list[str]:
    """Web addresses must be http(s) with a host and e-mail addresses plain: the API serves
    them as they are, and a page links them (a javascript: website would run in a reader's
    browser). Empty counts as absent."""
    errs: list[str] = []
    org, source = rec.get("organization"), rec.get("haven_source")
    org = org if isinstance(org, dict) else {}
    source = source if isinstance(source, dict) else {}
    for where, value, is_web in (("url", rec.get("url"), True),
                                 ("email", rec.get("email"), False),
                                 ("assurer_email", rec.get("assurer_email"), False),
                                 ("haven_source/url", source.get("url"), True),
                                 ("organization/website", org.get("website"), True),
                                 ("organization/email", org.get("email"), False)):
        if value is None or value == "":
            continue
        if is_web and (not isinstance(value, str) or web_link(value) is None):
            errs.append(f"field '{where}': {_shown(value)} is not a web address (http:// or "
                        "https:// and a host name)")
        elif not is_web and (not isinstance(value, str) or mail_address(value) is None):
            errs.append(f"field '{where}': {_shown(value)} is not an e-mail address "
                        "(name@example.org)")
    return errs


def check(rec: dict[str, Any]) -> list[str]:
    """What the schema cannot say: times, zones, dates, coordinates, extensions, leaks,
    addresses."""
    errs: list[str] = addresses(rec)
    for f in ("assured_date",):
        try:
            date_of(rec.get(f))
        except ValueError:
            errs.append(f"field '{f}': {rec.get(f)!r} is not a date (YYYY-MM-DD)")
    sched_lists = [("schedules", rec.get("schedules") or [])]
    for i, sal in enumerate(rec.get("service_at_locations") or []):
        sched_lists.append((f"service_at_locations/{i}/schedules", sal.get("schedules") or []))
    for prefix, scheds in sched_lists:
        for i, s in enumerate(scheds):
            try:
                hours.slots(s.get("byday"), s.get("opens_at"), s.get("closes_at"))
            except hours.HoursError as exc:
                errs.append(f"field '{prefix}/{i}': {exc}")
            tzname = s.get("haven_timezone")
            if tzname is not None:
                try:
                    hours.zone_key(tzname if isinstance(tzname, str) else "?", None)
                except hours.HoursError as exc:
                    errs.append(f"field '{prefix}/{i}/haven_timezone': {exc}")
    texts = " ".join(str(rec.get(k) or "") for k in ("name", "description", "alert",
                                                     "eligibility_description",
                                                     "application_process")).casefold()
    for i, sal in enumerate(rec.get("service_at_locations") or []):
        loc = sal.get("location") or {}
        where = f"service_at_locations/{i}/location"
        conf = loc.get("confidential", False)
        if not isinstance(conf, bool):
            errs.append(f"field '{where}/confidential': must be true or false")
        lat, lng = loc.get("latitude"), loc.get("longitude")
        if lat is None or lng is None:
            if (lat is None) != (lng is None):
                errs.append(f"field '{where}': latitude and longitude go together")
        if conf is True:
            for addr in loc.get("addresses") or []:
                street = str(addr.get("address_1") or "").strip().casefold()
                desc = " ".join(str(x or "") for x in (sal.get("description"),
                                                        loc.get("name"))).casefold()
                if len(street) >= 4 and (street in texts or street in desc):
                    errs.append(f"field '{where}/addresses': the confidential street address "
                                "also appears in the service's public text; remove it there")
    trs = rec.get("haven_translations")
    if trs is not None:
        if not isinstance(trs, dict):
            errs.append("field 'haven_translations': must be an object of locale -> texts")
        else:
            for key, val in trs.items():
                if not _LOCALE_KEY.match(str(key)) or not isinstance(val, dict) or not all(
                    isinstance(v, str) for v in val.values()
                ):
                    errs.append(f"field 'haven_translations/{key}': needs a BCP 47 tag and "
                                "string name/description/eligibility_description")
                    continue
                try:
                    date_of(val.get("reviewed_on"))
                except ValueError:
                    errs.append(f"field 'haven_translations/{key}/reviewed_on': not a date "
                                "(YYYY-MM-DD)")
    country = rec.get("haven_country")
    if country is not None and not (isinstance(country, str) and re.fullmatch(r"[A-Z]{2}",
                                                                               country)):
        errs.append("field 'haven_country': must be a two-letter upper-case country code")
    return errs


def check_kind(kind: str, rec: dict[str, Any]) -> list[str]:
    """check() for a record of any HSDS kind: a service's checks for each service it holds
    (an organisation's services, a service_at_location's service and its place), web and
    e-mail addresses for an organisation."""
    if kind == "service":
        return check(rec)
    if kind == "organization":
        errs = [e.replace("field 'organization/", "field '", 1)
                for e in addresses({"organization": rec})]
        for i, svc in enumerate(rec.get("services") or []):
            if isinstance(svc, dict):
                errs += _within(f"services/{i}/", check(svc))
        return errs
    if kind == "service_at_location":
        svc = rec.get("service")
        svc = svc if isinstance(svc, dict) else {}
        place = {k: v for k, v in rec.items() if k != "service"}
        sals = list(svc.get("service_at_locations") or [])
        errs = check({**svc, "service_at_locations": [*sals, place]})
        mine = f"field 'service_at_locations/{len(sals)}"
        return [e.replace(mine + "/", "field '", 1).replace(mine + "'", "field '(record)'", 1)
                if e.startswith(mine) else _within("service/", [e])[0] for e in errs]
    if kind in ("taxonomy", "taxonomy_term"):
        return []
    return [f"an HSDS {kind} is imported within the organization, service or "
            "service_at_location it belongs to"]


def _within(prefix: str, errs: list[str]) -> list[str]:
    """Errors about a nested object, their field paths from the record's top."""
    return [e.replace("field '", f"field '{prefix}", 1) for e in errs]
