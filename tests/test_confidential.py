"""A confidential location's street and exact point appear in no response and no export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.sentinel import (
    EXACT_LAT,
    EXACT_LNG,
    LEAKS,
    SENTINEL_STREET,
    SERVICE_ID,
    sentinel_service,
)
from webapp.exchange import sheets
from webapp.extensions import db
from webapp.models import Service

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

SHEET_HEADER = ("organization,name,categories,populations,description,phone,sms,whatsapp,"
                "languages,address,city,region,postal_code,country,latitude,longitude,"
                "timezone,confidential,hours,free,email,website")


def sentinel_sheet(tmp_path: Path) -> tuple[Path, str]:
    """The same shelter as a spreadsheet row (a sheet's street never leaves either)."""
    src = tmp_path / "shelters.csv"
    src.write_text(SHEET_HEADER + "\n" + ",".join([
        "Sentinel Network", "Sentinel Safe House", "shelter", "women", "A test shelter.",
        "(559) 555-0142", "", "", "en;es", SENTINEL_STREET, "Fresno", "CA", "93721", "US",
        str(EXACT_LAT), str(EXACT_LNG), "America/Los_Angeles", "yes", "24/7", "yes", "", ""])
        + "\n", encoding="utf-8")
    return src, sheets.service_key("Sentinel Network", "Sentinel Safe House", "Fresno")


@pytest.mark.parametrize("source", ["hsds", "sheet"])
def test_sentinel_street_never_leaves(app: Flask, runner: FlaskCliRunner,
                                      tmp_path: Path, source: str) -> None:
    """Walk every GET route that could show it (pages, API, search, the offline bundle) and
    the export, after an HSDS import or a spreadsheet import."""
    if source == "hsds":
        src = tmp_path / "s.json"
        src.write_text(json.dumps(sentinel_service()))
        service_id = SERVICE_ID
    else:
        src, service_id = sentinel_sheet(tmp_path)
    result = runner.invoke(args=["services", "import", str(src)])
    assert result.exit_code == 0, result.output
    for leak in LEAKS:
        assert leak not in result.output
    client = app.test_client()
    with app.app_context():
        svc = db.session.get(Service, service_id)
        assert svc is not None
        org_id, sal_id = svc.organization_id, svc.locations[0].id
    urls = ["/api/hsds/services?per_page=100&full=true", f"/api/hsds/services/{service_id}",
            "/api/hsds/services?search=sentinel&full=1", "/api/hsds/services?format=ndjson",
            "/api/hsds/organizations?full_service=1&per_page=100",
            f"/api/hsds/organizations/{org_id}?full_service=1",
            "/api/hsds/organizations?format=ndjson&full=1",
            "/api/hsds/service_at_locations?full=1&per_page=100",
            "/api/hsds/service_at_locations?format=ndjson&search=sentinel",
            f"/api/hsds/service_at_locations/{sal_id}",
            "/api/hsds/service_at_locations?postcode=00000&proximity=300000&full=1"]
    postcode = app.test_client().get("/api/hsds/service_at_locations?postcode=93721").json
    assert postcode["empty"] is True, "a confidential place's postcode must never match"
    for lang in ("en", "ar"):
        urls += [f"/{lang}/", f"/{lang}/search?q=sentinel", f"/{lang}/search?category=shelter",
                 f"/{lang}/search?near=Fresno&per_page=100",
                 f"/{lang}/search?near=36.76,-119.79",
                 f"/{lang}/services/{service_id}", f"/{lang}/services/{service_id}/report",
                 f"/{lang}/hotlines", f"/{lang}/offline/directory.json"]
    rules = [r.rule for r in app.url_map.iter_rules() if "<" not in r.rule and
             "GET" in (r.methods or set())]
    seen_service = seen_in_bundle = False
    for url in urls + rules:
        resp = client.get(url)
        body = resp.get_data(as_text=True)
        if url.endswith("directory.json"):
            assert resp.status_code == 200
            seen_in_bundle |= service_id in body
        seen_service |= "Sentinel Safe House" in body
        for leak in LEAKS:
            assert leak not in body, (url, leak)
    assert seen_service, "the shelter must still be findable (city and intake phone)"
    assert seen_in_bundle, "the offline bundle must carry the shelter (without its street)"
    detail = client.get(f"/en/services/{service_id}").get_data(as_text=True)
    assert "Fresno" in detail
    assert "555-0142" in detail
    out = tmp_path / "export.json"
    assert runner.invoke(args=["services", "export", str(out)]).exit_code == 0
    exported = out.read_text()
    for leak in LEAKS:
        assert leak not in exported, leak
    loc = next(s for s in json.loads(exported) if s["id"] == service_id)[
        "service_at_locations"][0]["location"]
    assert (loc["latitude"], loc["longitude"]) == (36.75, -119.78)
    assert "addresses" not in loc
    assert loc["confidential"] is True
    again = runner.invoke(args=["services", "import", str(src), "--dry-run"])
    for leak in LEAKS:  # the preview names columns, never a confidential value
        assert leak not in again.output


def test_street_in_public_text_is_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    """An import that repeats the confidential street in public text is refused."""
    svc = sentinel_service()
    svc["description"] = f"Come to {SENTINEL_STREET} any time."
    src = tmp_path / "s.json"
    src.write_text(json.dumps(svc))
    result = runner.invoke(args=["services", "import", str(src)])
    assert result.exit_code != 0
    assert "confidential street address" in result.output
