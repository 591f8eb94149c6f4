"""HSDS 3.0 import, export and API: validation, all-or-nothing, round trips."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from tests.reference import HSDS_30
from webapp.exchange import hsds
from webapp.extensions import db
from webapp.models import Service

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

REF = HSDS_30
EXAMPLE = REF / "examples" / "service_full.json"


def count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Service)) or 0)


def test_import_official_example(app: Flask, runner: FlaskCliRunner) -> None:
    """The official service_full.json imports and is then served by the API."""
    before = count(app)
    doc = json.loads(EXAMPLE.read_text())
    client = app.test_client()
    search_url = "/api/hsds/services?search=" + doc["name"]
    assert doc["id"] not in json.dumps(client.get(search_url).json)  # index built before
    result = runner.invoke(args=["services", "import", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert count(app) == before + 1
    first = client.get(search_url).json["contents"][0]  # the in-memory index was refreshed
    assert first["id"] == doc["id"]
    got = app.test_client().get(f"/api/hsds/services/{doc['id']}").json
    assert got["name"] == doc["name"]
    with app.app_context():
        assert hsds.schema_errors(app.config["HSDS_SCHEMA_DIR"], "service", got) == []


def test_import_csv_datapackage(app: Flask, runner: FlaskCliRunner) -> None:
    """The official tabular example imports through the same validation."""
    result = runner.invoke(args=["services", "import", str(REF / "examples" / "csv")])
    assert result.exit_code == 0, result.output
    got = app.test_client().get("/api/hsds/services/ac148810-d857-441c-9679-408f346de14b")
    assert got.status_code == 200
    assert got.json["phones"]


def test_export_of_default_dataset_validates(app: Flask, runner: FlaskCliRunner,
                                             tmp_path: Path) -> None:
    """Every exported service validates against the HSDS schemas with 0 errors."""
    out = tmp_path / "export.json"
    result = runner.invoke(args=["services", "export", str(out)])
    assert result.exit_code == 0, result.output
    services = json.loads(out.read_text())
    assert len(services) == count(app) >= 100
    errors = [e for s in services for e in hsds.schema_errors(app.config["HSDS_SCHEMA_DIR"],
                                                               "service", s)]
    assert errors == []
    # and the export imports back unchanged in count
    result = runner.invoke(args=["services", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert count(app) == len(services)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda s: s.pop("name"), "'name' is a required property"),
        (lambda s: s.update(status="sometimes"), "field 'status'"),
        (lambda s: s["phones"][0].update(number=12), "field 'phones/0/number'"),
        (lambda s: s["schedules"][0].update(opens_at="25:99"), "field 'schedules/0'"),
        (lambda s: s.update(id="not-a-uuid"), "field 'id'"),
        (lambda s: s.update(haven_country="usa"), "field 'haven_country'"),
    ],
)
def test_one_bad_record_changes_nothing(app: Flask, runner: FlaskCliRunner, tmp_path: Path,
                                        mutate: object, field: str) -> None:
    """A file with one bad record among good ones writes nothing; the error names both."""
    good = json.loads(EXAMPLE.read_text())
    other = copy.deepcopy(good)
    other["id"] = "0b2d6f53-9b57-4a1e-8f0e-55d3a1c2b111"
    bad = copy.deepcopy(good)
    bad["id"] = "7c4e1e2a-2222-4b7b-9d6a-0f1e2d3c4b5a"
    mutate(bad)  # type: ignore[operator]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([other, bad]))
    before = count(app)
    result = runner.invoke(args=["services", "import", str(path)])
    assert result.exit_code != 0
    assert "record 2" in result.output
    assert str(path) in result.output
    assert field in result.output
    assert "Traceback" not in result.output
    assert count(app) == before


def test_import_refuses_missing_and_unreadable_files(runner: FlaskCliRunner,
                                                     tmp_path: Path) -> None:
    """Clear CLI errors for a missing path and for a file that is not JSON."""
    result = runner.invoke(args=["services", "import", str(tmp_path / "nope.json")])
    assert result.exit_code != 0
    assert "no such file" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = runner.invoke(args=["services", "import", str(broken)])
    assert result.exit_code != 0
    assert "not valid JSON" in result.output


def test_api_page_object_and_search(client: object) -> None:
    """/api/hsds/services is an HSDS Page; ?search=abogado lists legal aid first."""
    resp = client.get("/api/hsds/services?search=abogado&per_page=5")  # type: ignore[attr-defined]
    page = resp.json
    assert {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
            "empty", "contents"} <= page.keys()
    assert page["size"] == 5
    assert page["first_page"] is True
    for svc in page["contents"]:
        full = client.get(f"/api/hsds/services/{svc['id']}").json  # type: ignore[attr-defined]
        assert "legal-aid" in {a["taxonomy_term"]["code"] for a in full["attributes"]}


def test_api_taxonomy_terms_publish_both_taxonomies(client: object) -> None:
    """Both Haven taxonomies and all their stable codes are in the API."""
    terms = client.get("/api/hsds/taxonomy_terms?per_page=100").json["contents"]  # type: ignore[attr-defined]
    codes = {(t["taxonomy"], t["code"]) for t in terms}
    for code in ("hotline", "emergency", "shelter", "legal-aid", "counselling", "medical",
                 "immigration", "employment", "children-youth", "basic-needs"):
        assert ("haven-categories", code) in codes
    for code in ("women", "men", "minors", "lgbtq", "families", "foreign-nationals"):
        assert ("haven-populations", code) in codes


def test_api_filters_and_errors(client: object) -> None:
    """modified_after and bad parameters behave; errors are JSON 400s naming the parameter."""
    c = client
    assert c.get("/api/hsds/services?modified_after=2100-01-01").json["empty"] is True  # type: ignore[attr-defined]
    bad = c.get("/api/hsds/services?page=0")  # type: ignore[attr-defined]
    assert bad.status_code == 400
    assert bad.json["parameter"] == "page"
    assert c.get("/api/hsds/openapi.json").json["openapi"].startswith("3.")  # type: ignore[attr-defined]
    assert c.get("/api/hsds/").json["version"] == "3.0"  # type: ignore[attr-defined]


def test_hotlines_match_the_verified_list(app: Flask) -> None:
    """Every real (non-demo) number shown comes from hotlines.csv."""
    csv_text = (REF.parent / "hotlines.csv").read_text(encoding="utf-8")
    digits_in_csv = "".join(ch for ch in csv_text if ch.isdigit() or ch == "\n")
    with app.app_context():
        for svc in db.session.scalars(select(Service).where(Service.is_demo.is_(False))):
            for phone in svc.phones:
                digits = "".join(ch for ch in phone.number if ch.isdigit())
                assert digits in digits_in_csv.replace("\n", " ") or digits in csv_text, \
                    (svc.name, phone.number)
        demo = db.session.scalars(select(Service).where(Service.is_demo.is_(True))).all()
        assert len(demo) >= 60
        for svc in demo:
            for phone in svc.phones:
                assert "555-01" in phone.number, phone.number


def test_ids_in_upper_case_are_stored_in_lower_case(app: Flask, runner: FlaskCliRunner,
                                                    tmp_path: Path) -> None:
    """A uuid is the same in either case: an import keeps HSDS ids in lower case on both
    backends (PostgreSQL's uuid type answers so), so the same file imported again updates
    its listing instead of adding a second one, and the API finds it by its stored id."""
    doc = json.loads(EXAMPLE.read_text())
    doc["id"] = "5e1f0c2a-7d3b-4e8f-9a1b-2c3d4e5f6a7b"
    shouting = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                      lambda m: m.group(0).upper(), json.dumps(doc))
    assert doc["id"].upper() in shouting
    path = tmp_path / "upper.json"
    path.write_text(shouting)
    before = count(app)
    for _ in range(2):
        result = runner.invoke(args=["services", "import", str(path)])
        assert result.exit_code == 0, result.output
    assert count(app) == before + 1
    client = app.test_client()
    got = client.get(f"/api/hsds/services/{doc['id']}").json
    assert got["id"] == doc["id"]
    assert client.get(f"/api/hsds/services/{doc['id'].upper()}").json == got
    assert client.get(f"/en/services/{doc['id'].upper()}").status_code == 200
    ids = re.findall(r'"(?:id|[a-z_]+_id)": "([^"]+)"', json.dumps(got))
    assert ids and all(i == i.lower() for i in ids)
    found = client.get("/api/hsds/services?search=" + doc["name"]).json["contents"]
    assert [s["id"] for s in found].count(doc["id"]) == 1


def test_ids_that_are_not_uuids_find_nothing(client: object) -> None:
    """An id typed into a URL that is not a uuid is a 404 (or an empty page for a filter)
    on both backends, never a database error."""
    c = client
    for url in ("/api/hsds/services/not-a-uuid", "/api/hsds/organizations/x'y",
                "/api/hsds/service_at_locations/1", "/api/hsds/taxonomies/abc",
                "/api/hsds/taxonomy_terms/%20", "/en/services/not-a-uuid",
                "/ar/services/12345678-1234-1234-1234-12345678901z"):
        assert c.get(url).status_code == 404, url  # type: ignore[attr-defined]
    for name in ("organization_id", "taxonomy_id"):
        page = c.get(f"/api/hsds/services?{name}=not-a-uuid")  # type: ignore[attr-defined]
        assert page.status_code in (200, 400), name
        if page.status_code == 200:
            assert page.json["empty"] is True, name
