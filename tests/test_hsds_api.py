"""The rest of the HSDS 3.0 read API: organizations, service_at_locations with
postcode and proximity, taxonomies, and organization_id, taxonomy_id, minimal and full on
/services; every object validates against the shipped schemas."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from webapp.directory import geo, taxonomy
from webapp.exchange import api_params, hsds
from webapp.extensions import db
from webapp.models import Location, Organization, Service, ServiceAtLocation

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

API = "/api/hsds"


def valid(app: Flask, schema: str, record: dict[str, Any]) -> None:
    errors = hsds.schema_errors(app.config["HSDS_SCHEMA_DIR"], schema, record)
    assert not errors, (schema, errors[:3])


def page(client: FlaskClient, url: str) -> dict[str, Any]:
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:300])
    body: dict[str, Any] = resp.json  # type: ignore[assignment]
    assert {"total_items", "total_pages", "page_number", "size", "contents"} <= body.keys()
    assert body["size"] == len(body["contents"])
    return body


def test_organizations_list_one_and_nested(app: Flask, client: FlaskClient) -> None:
    """A page of organisations; one with its services and places; full_service nests the
    services fully; search narrows by name."""
    listed = page(client, f"{API}/organizations?per_page=100")
    with app.app_context():
        assert listed["total_items"] == db.session.query(Organization).count()
    for org in listed["contents"]:
        valid(app, "organization", org)
        assert "services" not in org
    fresno = page(client, f"{API}/organizations?search=fresno%20network&per_page=100")
    assert fresno["total_items"] >= 1
    assert all("fresno" in o["name"].lower() for o in fresno["contents"])
    accented = page(client, f"{API}/organizations?search=Ministère")["contents"]
    assert [o["name"] for o in accented] == ["France Victimes (with Ministère de la Justice)"]
    with app.app_context():
        org_id, count = next(
            (o, n) for o, n in ((oid, db.session.query(Service).filter(
                Service.organization_id == oid, Service.status == "active").count())
                for oid in db.session.scalars(select(Organization.id))) if n > 1)
    one = client.get(f"{API}/organizations/{org_id}").json
    valid(app, "organization", one)
    assert len(one["services"]) == count
    assert all("phones" not in s for s in one["services"])
    for loc in one["locations"]:
        valid(app, "location", loc)
    deep = client.get(f"{API}/organizations/{org_id}?full_service=true").json
    for svc in deep["services"]:
        valid(app, "service", svc)
        assert "phones" in svc
    full = page(client, f"{API}/organizations?full=1&per_page=5")
    assert all("services" in o for o in full["contents"])
    assert client.get(f"{API}/organizations/no-such-org").status_code == 404


def test_services_organization_taxonomy_minimal_full(app: Flask, client: FlaskClient) -> None:
    """organization_id and taxonomy_id filter; minimal gives ids and times for every service in
    one call; full nests, its absence lists."""
    with app.app_context():
        org_id = db.session.scalar(select(Service.organization_id)
                                   .where(Service.status == "active").limit(1))
        active = db.session.query(Service).filter(
            Service.status.in_(("active", "temporarily closed"))).count()
    mine = page(client, f"{API}/services?organization_id={org_id}&per_page=100")
    assert mine["total_items"] >= 1
    assert {s["organization_id"] for s in mine["contents"]} == {org_id}
    pops = taxonomy.taxonomy_id(taxonomy.POPULATIONS)
    tagged = page(client, f"{API}/services?taxonomy_id={pops}&full=1&per_page=100")
    assert 0 < tagged["total_items"] < active
    for svc in tagged["contents"]:
        valid(app, "service", svc)
        assert any(a["taxonomy_term"]["taxonomy_id"] == pops for a in svc["attributes"])
    minimal = page(client, f"{API}/services?minimal=true&per_page=5000")
    assert minimal["total_items"] == minimal["size"] == active
    for item in minimal["contents"]:
        assert set(item) == {"id", "name", "status", "last_modified", "modified_date"}
        valid(app, "service", item)
    listed = page(client, f"{API}/services?per_page=3")
    assert all("phones" not in s for s in listed["contents"])
    bad = client.get(f"{API}/services?full=maybe")
    assert bad.status_code == 400 and bad.json["parameter"] == "full"


def test_service_at_locations_postcode_and_proximity(app: Flask, client: FlaskClient) -> None:
    """Filters as /services; postcode alone matches public places with that postcode;
    postcode + proximity gives places within that many metres of its centre, nearest first,
    confidential ones by their coarse point only."""
    everything = page(client, f"{API}/service_at_locations?per_page=100&full=1")
    assert everything["total_items"] > 0
    for sal in everything["contents"]:
        valid(app, "service_at_location", sal)
        valid(app, "service", sal["service"])
        if sal["location"].get("confidential"):
            assert "addresses" not in sal["location"] and "description" not in sal
    one = everything["contents"][0]
    assert client.get(f"{API}/service_at_locations/{one['id']}").json["id"] == one["id"]
    assert client.get(f"{API}/service_at_locations/nope").status_code == 404
    with app.app_context():
        public = db.session.scalars(select(Location).where(
            Location.confidential.is_(False), Location.postal_code.is_not(None))).first()
        assert public is not None
        code = public.postal_code
        centre = db.session.execute(select(Location.latitude, Location.longitude).where(
            Location.postal_code == code, Location.confidential.is_(False))).all()
    clat = sum(float(r[0]) for r in centre) / len(centre)
    clng = sum(float(r[1]) for r in centre) / len(centre)
    spaced = f"{code[:2]} {code[2:]}".lower()
    coded = page(client, f"{API}/service_at_locations?postcode={spaced}&per_page=100")
    assert coded["total_items"] > 0
    for sal in coded["contents"]:
        assert not sal["location"].get("confidential")
        assert sal["location"]["addresses"][0]["postal_code"] == code
    with app.app_context():
        points = db.session.execute(
            select(ServiceAtLocation.id, Location.public_latitude, Location.public_longitude)
            .join(Location, Location.id == ServiceAtLocation.location_id)
            .join(Service, Service.id == ServiceAtLocation.service_id)
            .where(Service.status.in_(("active", "temporarily closed")),
                   Location.public_latitude.is_not(None))).all()
    away = sorted(geo.planar_km(clat, clng, float(a), float(b)) for _i, a, b in points)
    metres = away[len(away) // 2] * 1000
    expected = {i for i, a, b in points
                if geo.planar_km(clat, clng, float(a), float(b)) * 1000 <= metres}
    near = page(client, f"{API}/service_at_locations?postcode={code}&proximity={metres:.0f}"
                        "&per_page=100")
    distances = [geo.planar_km(clat, clng, s["location"]["latitude"],
                               s["location"]["longitude"]) for s in near["contents"]]
    assert {s["id"] for s in near["contents"]} == expected
    assert 0 < len(expected) < len(points)
    assert distances == sorted(distances)
    assert any(s["location"].get("confidential") for s in near["contents"])
    legal = page(client, f"{API}/service_at_locations?search=legal&per_page=100")
    assert 0 < legal["total_items"] < everything["total_items"]


@pytest.mark.parametrize(("query", "param"), [
    ("proximity=1000", "proximity"), ("postcode=ZZ9&proximity=1000", "postcode"),
    ("postcode=00000&proximity=far", "proximity"), ("format=xml", "format")])
def test_service_at_locations_refuse_what_they_cannot_answer(client: FlaskClient, query: str,
                                                             param: str) -> None:
    """A JSON 400 naming the parameter, never an empty answer that looks true."""
    resp = client.get(f"{API}/service_at_locations?{query}")
    assert resp.status_code == 400
    assert resp.json["parameter"] == param


def test_taxonomies_and_ndjson(app: Flask, client: FlaskClient,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Both taxonomies listed and fetchable; format=ndjson streams every item of a list."""
    taxes = page(client, f"{API}/taxonomies")
    ids = {t["id"] for t in taxes["contents"]}
    assert {taxonomy.taxonomy_id(taxonomy.CATEGORIES),
            taxonomy.taxonomy_id(taxonomy.POPULATIONS)} <= ids
    for t in taxes["contents"]:
        valid(app, "taxonomy", t)
        assert client.get(f"{API}/taxonomies/{t['id']}").json == t
    assert page(client, f"{API}/taxonomies?search=populations")["total_items"] == 1
    assert client.get(f"{API}/taxonomies/nope").status_code == 404
    terms = page(client, f"{API}/taxonomy_terms?search=legal%20aid&per_page=100")
    assert [t["code"] for t in terms["contents"]] == ["legal-aid"]
    lines = client.get(f"{API}/taxonomy_terms?format=ndjson").get_data(as_text=True)
    assert len(lines.splitlines()) == page(client, f"{API}/taxonomy_terms")["total_items"]
    assert client.get(f"{API}/taxonomy_terms?top_only=perhaps").status_code == 400
    monkeypatch.setattr(api_params, "STREAM_CHUNK", 7)  # several chunks, one ragged
    resp = client.get(f"{API}/services?format=ndjson&full=1")
    assert resp.mimetype == "application/x-ndjson"
    lines = [json.loads(x) for x in resp.get_data(as_text=True).splitlines()]
    ranked = [s["id"] for s in page(client, f"{API}/services?per_page=100")["contents"]]
    assert len(lines) == page(client, f"{API}/services")["total_items"] > 100
    assert [x["id"] for x in lines][:100] == ranked
    assert len({x["id"] for x in lines}) == len(lines)


def test_the_served_openapi_lists_every_path(client: FlaskClient) -> None:
    """Every path of the official document, each answering here."""
    doc = client.get(f"{API}/openapi.json").json
    for path in ("/", "/services", "/services/{id}", "/organizations", "/organizations/{id}",
                 "/service_at_locations", "/service_at_locations/{id}", "/taxonomies",
                 "/taxonomies/{id}", "/taxonomy_terms", "/taxonomy_terms/{id}"):
        assert path in doc["paths"]
        if "{" not in path:
            assert client.get(API + path).status_code == 200, path


def test_minimal_items_are_the_documented_service_list_items(app: Flask,
                                                             client: FlaskClient) -> None:
    """The document's service_list items require id, name and status: minimal ones have them,
    as stored."""
    item = page(client, f"{API}/services?minimal=true&per_page=1")["contents"][0]
    with app.app_context():
        stored = db.session.get(Service, item["id"])
        assert stored is not None
        assert (item["name"], item["status"]) == (stored.name, stored.status)


@pytest.mark.parametrize(("after", "everything"), [
    ("9999-12-31T23:59:59-23:59", False),  # past year 9999 in UTC: was a 500
    ("0001-01-01T00:00:00+01:00", True),   # before year 1 in UTC: was a 500
    ("0000-01-01T00:00:00Z", True),         # RFC 3339 has a year 0000
    ("2000-01-01t00:00:00z", True),         # and lower-case t and z
    ("2000-12-31T23:59:60Z", True),         # and leap seconds
    ("2000-01-01", True),                   # a date, as the search pages take
])
def test_modified_after_reads_every_rfc3339_date_time(client: FlaskClient, after: str,
                                                      everything: bool) -> None:
    """Any RFC 3339 date-time (the document's format) is an answer, never a 500 or a 400."""
    total = page(client, f"{API}/services")["total_items"]
    for url in (f"{API}/services", f"{API}/service_at_locations"):
        found = page(client, f"{url}?modified_after={quote(after)}")
        if url.endswith("/services"):
            assert found["total_items"] == (total if everything else 0)


@pytest.mark.parametrize("after", ["2000-01-01T10", "20000101", "yesterday",
                                   "2000-02-30T00:00:00Z"])
def test_modified_after_refuses_what_is_not_rfc3339(client: FlaskClient, after: str) -> None:
    """A JSON 400 naming modified_after."""
    resp = client.get(f"{API}/services?modified_after={quote(after)}")
    assert resp.status_code == 400
    assert resp.json["parameter"] == "modified_after"


def test_whole_numbers_written_as_decimals_are_page_numbers(client: FlaskClient) -> None:
    """JSON Schema's integer 20 may be written 20.0: the same page."""
    for url in (f"{API}/services", f"{API}/taxonomies", f"{API}/service_at_locations"):
        assert (page(client, f"{url}?per_page=2.0&page=2.00")["contents"]
                == page(client, f"{url}?per_page=2&page=2")["contents"])


@pytest.mark.parametrize("path", ["/services", "/organizations", "/taxonomies",
                                  "/taxonomy_terms", "/service_at_locations"])
@pytest.mark.parametrize(("name", "value"), [("per_page", "+5"), ("per_page", " 5"),
                                             ("page", "1_0"), ("per_page", "\u0665"),
                                             ("page", "\uff12"), ("per_page", "2.5")])
def test_page_numbers_are_integers_as_the_document_types_them(
        client: FlaskClient, path: str, name: str, value: str) -> None:
    """Only digits (or 20.0): what Python's int() would also take is a 400 naming it (a
    fuzzer found "+5" served as 5, against the document's integer)."""
    resp = client.get(f"{API}{path}", query_string={name: value})
    assert resp.status_code == 400 and resp.json["parameter"] == name


@pytest.mark.parametrize("path", ["/services", "/organizations", "/taxonomies",
                                  "/taxonomy_terms", "/service_at_locations"])
@pytest.mark.parametrize("value", ["x" * 201, "legal\taid", "\n"])
def test_search_is_bounded_alike_everywhere(client: FlaskClient, path: str,
                                           value: str) -> None:
    """At most 200 characters, no control characters, on every list: a 400 naming search
    (the lists other than /services answered these)."""
    resp = client.get(f"{API}{path}?search={quote(value)}")
    assert resp.status_code == 400
    assert resp.json["parameter"] == "search"


def test_taxonomy_terms_take_several_taxonomies(client: FlaskClient) -> None:
    """taxonomy_id=a,b lists the terms of both (it listed none); an id over 64 is a 400."""
    cats, pops = (taxonomy.taxonomy_id(taxonomy.CATEGORIES),
                  taxonomy.taxonomy_id(taxonomy.POPULATIONS))
    one = page(client, f"{API}/taxonomy_terms?taxonomy_id={cats}&per_page=100")
    other = page(client, f"{API}/taxonomy_terms?taxonomy_id={pops}&per_page=100")
    both = page(client, f"{API}/taxonomy_terms?taxonomy_id={cats},{pops}&per_page=100")
    assert one["total_items"] > 0 and other["total_items"] > 0
    assert both["total_items"] == one["total_items"] + other["total_items"]
    long = client.get(f"{API}/taxonomy_terms?taxonomy_id={'a' * 65}")
    assert long.status_code == 400 and long.json["parameter"] == "taxonomy_id"


def test_format_is_exactly_json_or_ndjson(client: FlaskClient) -> None:
    """The document's enum, as written: JSON is refused, not read as json."""
    resp = client.get(f"{API}/taxonomies?format=JSON")
    assert resp.status_code == 400 and resp.json["parameter"] == "format"
    assert client.get(f"{API}/taxonomies?format=").status_code == 200  # empty: the default


def test_the_served_document_states_what_haven_enforces(client: FlaskClient) -> None:
    """The bounds the document gives page and per_page are the ones answered; refusals and
    unknown ids are documented JSON; /service_at_locations/{id} answers the
    service_at_location it documents; ndjson has its media type."""
    doc = client.get(f"{API}/openapi.json").json
    params = doc["components"]["parameters"]
    for name in ("page", "per_page"):
        most = params[name]["schema"]["maximum"]
        assert client.get(f"{API}/taxonomies?{name}={most}").status_code == 200
        assert client.get(f"{API}/taxonomies?{name}={most + 1}").status_code == 400
        assert client.get(f"{API}/taxonomies?{name}=0").status_code == 400
    services = doc["paths"]["/services"]["get"]["responses"]
    assert set(services) == {"200", "400"}
    assert "application/x-ndjson" in services["200"]["content"]
    assert set(doc["paths"]["/services/{id}"]["get"]["responses"]) == {"200", "404"}
    missing = client.get(f"{API}/services/nope")
    assert missing.status_code == 404 and missing.json["status"] == 404
    sal = doc["paths"]["/service_at_locations/{id}"]["get"]["responses"]["200"]
    assert sal["content"]["application/json"]["schema"]["$ref"].endswith(
        "/compiled/service_at_location.json")
    one = page(client, f"{API}/service_at_locations?per_page=1")["contents"][0]
    answered = client.get(f"{API}/service_at_locations/{one['id']}").json
    assert {"service_id", "location_id", "service", "location"} <= answered.keys()
