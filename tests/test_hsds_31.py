"""HSDS 3.1 on request: /api/hsds/ says which versions it speaks; hsds_version=3.1 or an Accept
profile gets answers that validate against the 3.1 schemas; a shelter's space goes out as a
word (and, on 3.1, a full shelter as a capacity of 0 places), never as a count; capacities
imported in beds or places give the space status; the OpenAPI document has real info; the
term hierarchy filters of /taxonomy_terms."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.coalition_helpers import FRESNO_SHELTER
from tests.conftest import BACKEND, Templates, make_app
from tests.reference import HSDS_31, valid_31
from webapp import clock
from webapp.exchange.api_document import API_VERSION
from webapp.space import services as space

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

API = "/api/hsds"
V31 = "hsds_version=3.1"
PROFILE_31 = 'application/json;profile="https://docs.openreferral.org/en/3.1/"'


def get(client: FlaskClient, url: str, **headers: str) -> Any:
    resp = client.get(API + url, headers=headers)
    assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:300])
    return resp.json


def every(client: FlaskClient, url: str) -> list[dict[str, Any]]:
    """Every item of a list, streamed (format=ndjson)."""
    resp = client.get(f"{API}{url}&format=ndjson")
    assert resp.status_code == 200
    return [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]


def example(name: str) -> Any:
    return json.loads((HSDS_31 / "examples" / name).read_text("utf-8"))


def imported(runner: FlaskCliRunner, tmp_path: Path, doc: Any, *args: str) -> str:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(args=["services", "import", str(path), *args])
    assert result.exit_code == 0, result.output
    return result.output


# --- versions ------------------------------------------------------------------------------

def test_meta_says_which_versions_and_the_client_picks(client: FlaskClient) -> None:
    """3.0 by default; hsds_version=3.1 or an Accept header naming 3.1's profile answers 3.1
    (the parameter first); each answer's Link header names its profile; a version it does
    not speak is a 400 naming the parameter, on a /{id} path too."""
    meta = get(client, "/")
    assert meta["versions"] == ["3.0", "3.1"]
    assert (meta["version"], meta["profile"]) == ("3.0", "https://docs.openreferral.org/en/3.0/")
    assert get(client, f"/?{V31}")["version"] == "3.1"
    assert get(client, "/", Accept=PROFILE_31)["version"] == "3.1"
    assert get(client, "/", Accept="text/html, application/json;q=0.9")["version"] == "3.0"
    assert get(client, "/?hsds_version=3.0", Accept=PROFILE_31)["version"] == "3.0"
    assert get(client, "/?hsds_version=")["version"] == "3.0"  # empty: not asked
    resp = client.get(f"{API}/services?{V31}")
    assert resp.headers["Link"] == '<https://docs.openreferral.org/en/3.1/>; rel="profile"'
    assert "Accept" in resp.headers["Vary"]
    for url in ("/services?hsds_version=3.2", f"/services/{FRESNO_SHELTER}?hsds_version=4",
                "/taxonomies?hsds_version=latest",
                # Only the documented values, as sent: a blank or padded one is not 3.0 or 3.1.
                "/?hsds_version=%09", "/services?hsds_version=%20", "/?hsds_version=%203.1"):
        bad = client.get(API + url)
        assert bad.status_code == 400, url
        assert bad.json["parameter"] == "hsds_version"


def _set(app: Flask, service_id: str, status: str, hours_ago: float = 0) -> None:
    with app.app_context():
        space.set_space(service_id, status, ["women"],
                        at=clock.now() - dt.timedelta(hours=hours_ago))


def test_every_seeded_answer_is_valid_31(app: Flask, client: FlaskClient) -> None:
    """Every service of the seeded directory, asked for in 3.1 (a full shelter among them),
    and every organisation and service_at_location that nests them: 0 errors against the
    HSDS 3.1 schemas."""
    _set(app, FRESNO_SHELTER, "full")
    services = every(client, f"/services?full=true&{V31}")
    assert len(services) > 50
    assert any(s.get("capacities") for s in services)
    for record in services:
        valid_31("service", record)
    valid_31("service", get(client, f"/services/{FRESNO_SHELTER}?{V31}"))
    for org in every(client, f"/organizations?full_service=true&{V31}"):
        valid_31("organization", org)
    for sal in every(client, f"/service_at_locations?full=true&{V31}"):
        valid_31("service_at_location", sal)


@pytest.mark.parametrize(("name", "kind", "url"), [
    ("service_full.json", "service", "/services/{id}"),
    ("organization_full.json", "organization", "/organizations/{id}?full_service=true"),
    ("service_at_location_full.json", "service_at_location", "/service_at_locations/{id}"),
])
def test_upstream_31_examples_come_back_valid_31(client: FlaskClient, runner: FlaskCliRunner,
                                                 tmp_path: Path, name: str, kind: str,
                                                 url: str) -> None:
    """Upstream's 3.1 examples, imported, are valid 3.1 when asked for in 3.1, and their
    capacity (kilograms: not shelter places) comes back as given."""
    doc = example(name)
    imported(runner, tmp_path, doc, "--strict")
    got = get(client, url.format(id=doc["id"]) + ("&" if "?" in url else "?") + V31)
    valid_31(kind, got)

    def service(record: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {"service": lambda: record,
                                 "organization": lambda: record["services"][0],
                                 "service_at_location": lambda: record["service"]}[kind]()
        return found

    assert service(got)["capacities"] == service(doc)["capacities"]


# --- shelter space as capacities -----------------------------------------------------------

def test_a_full_shelter_is_0_places_in_31_and_a_word_otherwise(app: Flask,
                                                               client: FlaskClient) -> None:
    """Full: on 3.1 one capacity of 0 places dated as the status, wherever the service is
    nested; on 3.0 none. Limited, available, and full gone stale (unknown): no capacity,
    the word in haven_space."""
    _set(app, FRESNO_SHELTER, "full")
    got = get(client, f"/services/{FRESNO_SHELTER}?{V31}")
    assert got["haven_space"]["status"] == "full"
    [cap] = got["capacities"]
    assert (cap["available"], cap["unit"]["name"], cap["updated"]) == (
        0, "Place", got["haven_space"]["updated"])
    assert "capacities" not in get(client, f"/services/{FRESNO_SHELTER}")
    org = get(client, f"/organizations/{got['organization_id']}?full_service=true&{V31}")
    assert [s["capacities"] for s in org["services"]] == [[cap]]
    sal = get(client, f"/service_at_locations/{got['service_at_locations'][0]['id']}?{V31}")
    assert sal["service"]["capacities"] == [cap]
    for status, hours_ago, shown in (("limited", 0, "limited"), ("available", 1, "available"),
                                     ("full", 49, "unknown")):
        _set(app, FRESNO_SHELTER, status, hours_ago)
        got = get(client, f"/services/{FRESNO_SHELTER}?{V31}")
        assert got["haven_space"]["status"] == shown
        assert "capacities" not in got


def _shelter(capacities: list[dict[str, Any]]) -> dict[str, Any]:
    """A 3.1 service record of a shelter with these capacities."""
    return {"id": "5a0c6a52-2b1d-4c7e-9f3a-0d1e2f3a4b5c", "name": "Harbour Night Shelter",
            "status": "active", "description": "Emergency beds.",
            "organization": {"id": "6b1d7b63-3c2e-4d8f-8a4b-1e2f3a4b5c6d",
                             "name": "Harbour Trust", "description": "Shelters."},
            "capacities": capacities}


def _beds(available: float, maximum: float | None, *, unit: str = "Beds",
          hours_ago: float = 1) -> dict[str, Any]:
    at = clock.now() - dt.timedelta(hours=hours_ago)
    cap = {"id": "7c2e8c74-4d3f-4e9a-9b5c-2f3a4b5c6d7e",
           "unit": {"id": "8d3f9d85-5e4a-4fab-8c6d-3a4b5c6d7e8f", "name": unit},
           "available": available, "description": f"{available} beds for women tonight",
           "updated": at.strftime("%Y-%m-%dT%H:%M:%S.5+00:00")}
    if maximum is not None:
        cap["maximum"] = maximum
    return cap


@pytest.mark.parametrize(("available", "maximum", "status"), [
    (0, 40, "full"),
    (2, 40, "limited"),       # at most 2 left
    (5, 20, "limited"),       # a quarter of the maximum
    (6, 20, "available"),
    (1, None, "limited"),
    (37, None, "available"),
])
def test_imported_places_give_the_status_never_the_count(
        app: Flask, client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path,
        available: int, maximum: int | None, status: str) -> None:
    """Capacities counting beds give the space status (the public page and the API say the
    word), the export keeps them verbatim, and no API answer in either version carries their
    count or description."""
    doc = _shelter([_beds(available, maximum)])
    imported(runner, tmp_path, doc)
    sid = doc["id"]
    page = client.get(f"/en/services/{sid}").get_data(as_text=True)
    assert f'data-space="{status}"' in page
    answers = [get(client, f"/services/{sid}"), get(client, f"/services/{sid}?{V31}"),
               *every(client, f"/services?full=true&{V31}"),
               get(client, f"/organizations/{doc['organization']['id']}?full_service=true")]
    for answer in answers:
        assert "beds for women" not in json.dumps(answer)
    served = get(client, f"/services/{sid}?{V31}")
    assert served["haven_space"]["status"] == status
    expected = [0] if status == "full" else None
    assert ([c["available"] for c in served["capacities"]] if "capacities" in served
            else None) == expected
    valid_31("service", served)
    out = tmp_path / "export"
    out.mkdir()
    assert runner.invoke(args=["services", "export", str(out)]).exit_code == 0
    exported = {s["id"]: s for s in json.loads((out / "services.json").read_text("utf-8"))}
    assert exported[sid]["capacities"] == doc["capacities"]


def test_the_newer_status_wins(app: Flask, client: FlaskClient, runner: FlaskCliRunner,
                               tmp_path: Path) -> None:
    """A status set here after the capacities' date replaces theirs; one set before does
    not. Capacities in kilograms, or dated in the future, give no status at all."""
    doc = _shelter([_beds(0, 30, hours_ago=2)])
    imported(runner, tmp_path, doc)
    sid = doc["id"]

    def status() -> str | None:
        return get(client, f"/services/{sid}").get("haven_space", {}).get("status")

    _set(app, sid, "available", hours_ago=3)
    assert status() == "full"
    _set(app, sid, "limited", hours_ago=1)
    assert status() == "limited"
    with app.app_context():
        assert space.views([sid])[sid].status == "limited"

    food = _shelter([{**_beds(0, 30), "unit": {"id": "9e4a0e96-6f5b-4abc-9d7e-4b5c6d7e8f90",
                                               "name": "Kilogram", "identifier": "kgm"}}])
    food["id"] = "0f5b1fa7-7a6c-4bcd-8e8f-5c6d7e8f9a01"
    imported(runner, tmp_path, food)
    served = get(client, f"/services/{food['id']}?{V31}")
    assert "haven_space" not in served
    assert served["capacities"] == food["capacities"]  # not places: served as given
    ahead = _shelter([_beds(0, 30, hours_ago=-24)])
    ahead["id"] = "1a6c2ab8-8b7d-4cde-9f90-6d7e8f9a0b12"
    imported(runner, tmp_path, ahead)
    assert "haven_space" not in get(client, f"/services/{ahead['id']}")


# --- the document --------------------------------------------------------------------------

def test_the_document_has_real_info(client: FlaskClient, templates: Templates,
                                    request: pytest.FixtureRequest) -> None:
    """Title, Haven's API version, the licence of the document (CC BY-SA 4.0, as upstream's
    it adapts), no contact unless configured, then the deploying organisation; hsds_version
    documented on every list with the versions meta names."""
    doc = get(client, "/openapi.json")
    info = doc["info"]
    assert (info["title"], info["version"]) == ("Haven HSDS API", API_VERSION)
    assert info["license"] == {"name": "CC BY-SA 4.0",
                               "url": "https://creativecommons.org/licenses/by-sa/4.0/"}
    assert "REQUIRED" not in json.dumps(info) and "HERE" not in json.dumps(info)
    assert "contact" not in info
    param = doc["components"]["parameters"]["hsds_version"]
    assert param["schema"]["enum"] == get(client, "/")["versions"]
    for path in ("/", "/services", "/organizations", "/service_at_locations", "/taxonomies",
                 "/taxonomy_terms"):
        assert {"$ref": "#/components/parameters/hsds_version"} in (
            doc["paths"][path]["get"]["parameters"]), path
    configured = make_app(BACKEND, templates, request, HAVEN_ORG_NAME="Harbour Trust",
                          HAVEN_PUBLIC_URL="https://help.example.org")
    info = configured.test_client().get(f"{API}/openapi.json").json["info"]
    assert info["contact"] == {"name": "Harbour Trust", "url": "https://help.example.org"}


# --- taxonomy terms ------------------------------------------------------------------------

def test_taxonomy_terms_parent_id_and_top_only(client: FlaskClient, runner: FlaskCliRunner,
                                              tmp_path: Path) -> None:
    """An imported taxonomy with a hierarchy: parent_id lists a term's children, top_only
    only the terms without a parent."""
    tax = "5c4d79d7-cc55-470e-9f1f-8cad074e4892"
    top = {"id": "0bc248fa-dc27-4650-9ba4-8f1a24ef16a2", "code": "top", "name": "Housing",
           "description": "Housing", "taxonomy_id": tax}
    kids = [{"id": f"{n}a0c6a52-2b1d-4c7e-9f3a-0d1e2f3a4b5c", "code": f"kid{n}",
             "name": f"Shelter {n}", "description": "A kind of housing", "taxonomy_id": tax,
             "parent_id": top["id"]} for n in range(1, 4)]
    imported(runner, tmp_path, [top, *kids])

    def ids(query: str) -> set[str]:
        return {t["id"] for t in get(client, f"/taxonomy_terms?taxonomy_id={tax}&{query}")
                ["contents"]}

    assert ids(f"parent_id={top['id']}") == {k["id"] for k in kids}
    assert ids(f"parent_id={kids[0]['id']}") == set()
    assert ids("top_only=true") == {top["id"]}
    assert ids("top_only=false") == {top["id"]} | {k["id"] for k in kids}
