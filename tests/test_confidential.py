"""A confidential location's street and exact point appear in no response and no export."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

SENTINEL_STREET = "4471 Zebracorn Sentinel Lane"
EXACT_LAT, EXACT_LNG = 36.7512345, -119.7798765
SERVICE_ID = "5e0c1f0a-1111-4c2b-9a3d-5f6e7d8c9b0a"


def sentinel_service() -> dict[str, object]:
    return {
        "id": SERVICE_ID,
        "name": "Sentinel Safe House",
        "description": "A test shelter.",
        "status": "active",
        "phones": [{"id": "5e0c1f0a-2222-4c2b-9a3d-5f6e7d8c9b0a", "number": "(559) 555-0142"}],
        "attributes": [{"id": "5e0c1f0a-3333-4c2b-9a3d-5f6e7d8c9b0a", "taxonomy_term": {
            "id": "5e0c1f0a-4444-4c2b-9a3d-5f6e7d8c9b0a", "code": "shelter", "name": "Shelter",
            "description": "Shelter", "taxonomy": "haven-categories"}}],
        "service_at_locations": [{
            "id": "5e0c1f0a-5555-4c2b-9a3d-5f6e7d8c9b0a",
            "description": "Intake by phone.",
            "location": {
                "id": "5e0c1f0a-6666-4c2b-9a3d-5f6e7d8c9b0a", "location_type": "physical",
                "name": "Sentinel intake", "confidential": True,
                "latitude": EXACT_LAT, "longitude": EXACT_LNG,
                "description": "Behind the blue gate",
                "addresses": [{"id": "5e0c1f0a-7777-4c2b-9a3d-5f6e7d8c9b0a",
                               "address_1": SENTINEL_STREET, "city": "Fresno",
                               "state_province": "CA", "postal_code": "93721",
                               "country": "US", "address_type": "physical"}],
            },
        }],
    }


LEAKS = [SENTINEL_STREET, "Zebracorn", "93721", "Behind the blue gate", "36.75123", "119.77987"]


def test_sentinel_street_never_leaves(app: Flask, runner: FlaskCliRunner,
                                      tmp_path: Path) -> None:
    """Walk every GET route that could show it (pages, API, search) and the export."""
    src = tmp_path / "s.json"
    src.write_text(json.dumps(sentinel_service()))
    assert runner.invoke(args=["services", "import", str(src)]).exit_code == 0
    client = app.test_client()
    urls = ["/api/hsds/services?per_page=100&full=true", f"/api/hsds/services/{SERVICE_ID}",
            "/api/hsds/services?search=sentinel&full=1"]
    for lang in ("en", "ar"):
        urls += [f"/{lang}/", f"/{lang}/search?q=sentinel", f"/{lang}/search?category=shelter",
                 f"/{lang}/search?near=Fresno&per_page=100",
                 f"/{lang}/search?near=36.76,-119.79",
                 f"/{lang}/services/{SERVICE_ID}", f"/{lang}/hotlines"]
    rules = [r.rule for r in app.url_map.iter_rules() if "<" not in r.rule and
             "GET" in (r.methods or set())]
    seen_service = False
    for url in urls + rules:
        body = client.get(url).get_data(as_text=True)
        seen_service |= "Sentinel Safe House" in body
        for leak in LEAKS:
            assert leak not in body, (url, leak)
    assert seen_service, "the shelter must still be findable (city and intake phone)"
    detail = client.get(f"/en/services/{SERVICE_ID}").get_data(as_text=True)
    assert "Fresno" in detail
    assert "555-0142" in detail
    out = tmp_path / "export.json"
    assert runner.invoke(args=["services", "export", str(out)]).exit_code == 0
    exported = out.read_text()
    for leak in LEAKS:
        assert leak not in exported, leak
    loc = next(s for s in json.loads(exported) if s["id"] == SERVICE_ID)[
        "service_at_locations"][0]["location"]
    assert (loc["latitude"], loc["longitude"]) == (36.75, -119.78)
    assert "addresses" not in loc
    assert loc["confidential"] is True


def test_street_in_public_text_is_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    """An import that repeats the confidential street in public text is refused."""
    svc = sentinel_service()
    svc["description"] = f"Come to {SENTINEL_STREET} any time."
    src = tmp_path / "s.json"
    src.write_text(json.dumps(svc))
    result = runner.invoke(args=["services", "import", str(src)])
    assert result.exit_code != 0
    assert "confidential street address" in result.output
