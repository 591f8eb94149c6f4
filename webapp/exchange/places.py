"""The places of an HSDS import: locations with their addresses, and service_at_locations
(a record of their own, or nested in a service), shaped into rows (exchange/shaping.py).

A location keeps one address in its columns (the physical one, else the first); the others,
and the address properties no column holds, stay in its extras in their order. A
confidential location keeps nothing that places it beyond what its columns hold, which is
never published: its other addresses, transport directions and property identifiers are
not kept, each one noted.
"""

from __future__ import annotations

from typing import Any

from webapp.directory import geo
from webapp.exchange import extras
from webapp.exchange.extras import GIVEN, LOCATING, REF, index, key
from webapp.exchange.shaping import Shaper, _Served, stored_id

LOCATION = frozenset({"id", "organization_id", "location_type", "name", "description",
                      "confidential", "latitude", "longitude", "addresses", "haven_area"})
ADDRESS = frozenset({"id", "location_id", "address_1", "address_2", "city", "state_province",
                     "postal_code", "country"})
SERVICE_AT_LOCATION = frozenset({"id", "service_id", "location_id", "description", "location",
                                 "schedules", "service"})


def _country(value: Any) -> str | None:
    """A country as stored: two letters in upper case (haven_area and filters use it)."""
    return str(value or "")[:2].upper() or None


def location(shaper: Shaper, loc: dict[str, Any], path: str,
             org_id: str | None = None) -> str:
    """Shape one location object into its row; returns its id."""
    notes = shaper.notes
    loc_id = str(shaper.ident(loc, path))
    conf = bool(loc.get("confidential"))
    before = shaper.rows.locations.get(loc_id)
    if before is not None and before["confidential"] and not conf:
        # One copy saying confidential is enough: a later copy that does not say (an
        # organisation's list of its places) never publishes a shelter's address.
        notes.changed(key(path, "confidential"), loc.get("confidential"), True)
        loc = {**loc, "confidential": True}
        conf = True
    extra = extras.split(loc, LOCATION, path, notes)
    if conf:
        for name in sorted(LOCATING & extra.keys()):
            del extra[name]
            notes.dropped(key(path, name), "a confidential location is only ever shown by its "
                          "city and a coarse point")
    lat, lng = loc.get("latitude"), loc.get("longitude")
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        # The official HSDS example carries 100/101: served as given, used for nothing.
        if not conf:
            extra["latitude"], extra["longitude"] = lat, lng
            notes.notice(path, "latitude/longitude out of range: kept as given, not used for "
                         "maps or distances")
        lat = lng = None
    addrs = loc.get("addresses") or []
    first = next((a for a in addrs if isinstance(a, dict) and a.get("address_type") == "physical"),
                 next((a for a in addrs if isinstance(a, dict)), {}))
    area = loc.get("haven_area") or {}
    country = _country(first.get("country") or area.get("country"))
    kept = _addresses(shaper, addrs, first, country, conf, key(path, "addresses"))
    if kept:
        extra["addresses"] = kept
    plat, plng = lat, lng
    if conf and lat is not None and lng is not None:
        plat, plng = geo.coarse_point(lat, lng)
    row = {
        "id": loc_id, "organization_id": shaper.ident(loc, path, "organization_id") or org_id,
        "location_type": loc.get("location_type", "physical"), "name": loc.get("name"),
        "description": loc.get("description"), "confidential": conf,
        "latitude": lat, "longitude": lng, "public_latitude": plat, "public_longitude": plng,
        "address_id": stored_id(first.get("id")), "address_1": first.get("address_1"),
        "address_2": first.get("address_2"), "postal_code": first.get("postal_code"),
        "city": first.get("city") or area.get("city"),
        "region": first.get("state_province") or first.get("region") or area.get("region"),
        "country": country,
    }
    _area(shaper, area, row, key(path, "haven_area"))
    if before is not None and row["organization_id"] is None:
        row["organization_id"] = before["organization_id"]  # named by its organisation
    shaper.again("location", loc_id, loc, path)
    shaper.rows.locations[loc_id] = shaper.with_extras(row, extra, path)
    return loc_id


def _addresses(shaper: Shaper, addrs: list[Any], first: dict[str, Any], country: str | None,
               conf: bool, path: str) -> list[Any]:
    """The addresses as the extras keep them: the one in the columns as a reference with its
    other properties, the rest as given ([] when the columns say it all)."""
    out: list[Any] = []
    for i, addr in enumerate(addrs):
        where = index(path, i)
        if addr is not first:
            if conf:
                shaper.notes.dropped(where, "a confidential location keeps one address, "
                                     "which is never published")
            else:
                out.append(extras.lower_ids(addr, where, shaper.notes))
            continue
        rest = extras.split(addr, ADDRESS, where, shaper.notes)
        if rest.get("address_type") == "physical":
            del rest["address_type"]  # what an address in the columns is served as
        if conf:
            for name in sorted(rest):
                shaper.notes.dropped(key(where, name), "a confidential location's address "
                                     "is never published")
            continue
        if isinstance(addr.get("country"), str) and addr["country"] != country:
            rest[GIVEN] = {"country": addr["country"]}
        out.append({REF: "address", **rest})
    return [] if out == [{REF: "address"}] else out


def _area(shaper: Shaper, area: Any, row: dict[str, Any], path: str) -> None:
    """Note where a given haven_area differs from the one served (from the address)."""
    if not isinstance(area, dict):
        return
    served = {"city": row["city"], "region": row["region"], "country": row["country"]}
    for name, value in area.items():
        if served.get(name) != value:
            shaper.notes.changed(key(path, name), value, served.get(name))


def service_at_location(shaper: Shaper, sal: dict[str, Any], path: str,
                        served: _Served) -> None:
    """Shape one service_at_location of a shaped service into its row (and its location)."""
    sal_id = shaper.ident(sal, path)
    loc = sal.get("location")
    if isinstance(loc, dict):
        loc_id = location(shaper, loc, key(path, "location"))
    elif isinstance(sal.get("location_id"), str):
        loc_id = shaper.ident(sal, path, "location_id")
        shaper.rows.places_by_id.append((path or "(record)", loc_id))
    else:
        shaper.notes.dropped(path, "a service_at_location needs its location (the location "
                             "object or a location_id)")
        return
    extra = extras.split(sal, SERVICE_AT_LOCATION, path, shaper.notes)
    given = [s for s in sal.get("schedules") or [] if isinstance(s, dict)]
    if any(stored_id(s.get("id")) in served.schedule_ids for s in given):
        # The service's own schedules repeated here: served here as given, counted once.
        extra["schedules"] = extras.lower_ids(sal["schedules"], key(path, "schedules"),
                                              shaper.notes)
    else:
        for i, s in enumerate(given):
            shaper.schedule(s, index(key(path, "schedules"), i), served, sal_id)
    row = {"id": sal_id, "service_id": served.row["id"], "location_id": loc_id,
           "description": sal.get("description")}
    shaper.rows.sals.append(shaper.with_extras(row, extra, path))


def service_at_location_record(shaper: Shaper, rec: dict[str, Any]) -> None:
    """A service_at_location record: its service (nested, as HSDS lists them) and itself."""
    svc = rec.get("service")
    if not isinstance(svc, dict):
        shaper.errs.append("field 'service': a service_at_location is imported with its "
                           "service object")
        return
    sid = shaper.service(svc, "service")
    if rec.get("service_id") and stored_id(rec["service_id"]) != sid:
        shaper.errs.append(f"field 'service_id': {rec['service_id']} is not the id of the "
                           "nested service")
        return
    service_at_location(shaper, rec, "", shaper.served[sid])
