"""HSDS kept whole: Open Referral's own examples (3.0 and 3.1: service_full,
organization_full, service_at_location_full and the list files) import and come back,
through the API and through `services export`, with every value they gave; what an import
cannot keep as given it names by field path, and --strict then writes nothing."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from tests.import_helpers import leaves
from webapp.extensions import db
from webapp.models import Organization, Service, Taxonomy, TaxonomyTerm

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

_ROOT = Path(__file__).resolve().parent.parent
# Open Referral's examples: the repository's copy, else the shared reference folder.
REFERENCE = (_ROOT / "reference" if (_ROOT / "reference" / "hsds-3.0").is_dir()
             else _ROOT.parent / "shared" / "reference")
VERSIONS = ("3.0", "3.1")
API = "/api/hsds"


def example(version: str, name: str) -> Any:
    """One of upstream's example files, parsed."""
    return json.loads((REFERENCE / f"hsds-{version}" / "examples" / name).read_text("utf-8"))


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values: 12 is 12.0, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def lost(given: Any, served: Any) -> dict[str, list[str]]:
    """The input's leaves the output drops, and those it changes (given -> served)."""
    mine, theirs = leaves(given), leaves(served)
    return {
        "dropped": sorted(p for p in mine if p not in theirs),
        "changed": sorted(f"{p}: {mine[p]!r} -> {theirs[p]!r}" for p in mine
                          if p in theirs and not _same(mine[p], theirs[p])),
    }


NOTHING: dict[str, list[str]] = {"dropped": [], "changed": []}


def imported(runner: FlaskCliRunner, path: Path, *args: str) -> str:
    """Import a file or folder through the CLI; its whole output."""
    result = runner.invoke(args=["services", "import", str(path), *args])
    assert result.exit_code == 0, result.output
    return result.output


def write(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def exported(runner: FlaskCliRunner, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """`services export` to a folder: file name -> id -> record."""
    out = tmp_path / "export"
    out.mkdir()
    result = runner.invoke(args=["services", "export", str(out)])
    assert result.exit_code == 0, result.output
    return {name: {r["id"]: r for r in json.loads((out / name).read_text("utf-8"))}
            for name in ("services.json", "organizations.json", "taxonomies.json",
                         "taxonomy_terms.json")}


def api(app: Flask, url: str) -> Any:
    resp = app.test_client().get(API + url)
    assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:300])
    return resp.json


# The examples, each read back as the API serves its kind, and as the export holds it.
def _service_api(app: Flask, doc: dict[str, Any]) -> Any:
    return api(app, f"/services/{doc['id']}")


def _service_export(files: dict[str, dict[str, Any]], doc: dict[str, Any]) -> Any:
    return files["services.json"][doc["id"]]


def _org_api(app: Flask, doc: dict[str, Any]) -> Any:
    return api(app, f"/organizations/{doc['id']}?full_service=true")


def _org_export(files: dict[str, dict[str, Any]], doc: dict[str, Any]) -> Any:
    org = dict(files["organizations.json"][doc["id"]])
    org["services"] = [files["services.json"][s["id"]] for s in doc.get("services", [])]
    return org


def _sal_api(app: Flask, doc: dict[str, Any]) -> Any:
    return api(app, f"/service_at_locations/{doc['id']}")


def _sal_export(files: dict[str, dict[str, Any]], doc: dict[str, Any]) -> Any:
    service = dict(files["services.json"][doc["service"]["id"]])
    sal = next(s for s in service.pop("service_at_locations") if s["id"] == doc["id"])
    return {**sal, "service": service}


def _tax_api(app: Flask, doc: dict[str, Any]) -> Any:
    return api(app, f"/taxonomies/{doc['id']}")


def _tax_export(files: dict[str, dict[str, Any]], doc: dict[str, Any]) -> Any:
    return files["taxonomies.json"][doc["id"]]


def _term_api(app: Flask, doc: dict[str, Any]) -> Any:
    return api(app, f"/taxonomy_terms/{doc['id']}")


def _term_export(files: dict[str, dict[str, Any]], doc: dict[str, Any]) -> Any:
    return files["taxonomy_terms.json"][doc["id"]]


KINDS = {
    "service": (_service_api, _service_export),
    "organization": (_org_api, _org_export),
    "service_at_location": (_sal_api, _sal_export),
    "taxonomy": (_tax_api, _tax_export),
    "taxonomy_term": (_term_api, _term_export),
}
FILES = [(v, name, kind) for v in VERSIONS for name, kind in (
    ("service_full.json", "service"), ("service_list.json", "service"),
    ("organization_full.json", "organization"), ("organization_list.json", "organization"),
    ("service_at_location_full.json", "service_at_location"),
    ("service_at_location_list.json", "service_at_location"),
    ("taxonomy.json", "taxonomy"), ("taxonomy_list.json", "taxonomy"),
    ("taxonomy_term.json", "taxonomy_term"), ("taxonomy_term_list.json", "taxonomy_term"))]


@pytest.mark.parametrize(("version", "name", "kind"), FILES)
def test_upstream_examples_come_back_whole(app: Flask, runner: FlaskCliRunner, tmp_path: Path,
                                           version: str, name: str, kind: str) -> None:
    """Each example file imports by itself (a record, or an HSDS page of them), with nothing
    to warn about, and every value it gave is in the API's answer and in the export, as
    given: 0 dropped, 0 changed."""
    doc = example(version, name)
    records = doc["contents"] if "contents" in doc else [doc]
    said = imported(runner, REFERENCE / f"hsds-{version}" / "examples" / name, "--strict")
    assert "warning" not in said
    files = exported(runner, tmp_path)
    from_api, from_export = KINDS[kind]
    for record in records:
        assert lost(record, from_api(app, record)) == NOTHING
        assert lost(record, from_export(files, record)) == NOTHING


def test_every_kind_together_in_a_folder(app: Flask, runner: FlaskCliRunner,
                                         tmp_path: Path) -> None:
    """A folder of every kind imports in one go (terms before the services that name them by
    id alone, organisations before the services naming theirs by organization_id), and each
    record comes back whole."""
    folder = tmp_path / "in"
    folder.mkdir()
    term = example("3.0", "taxonomy_term.json")
    tax = example("3.0", "taxonomy.json")
    org = example("3.0", "organization_list.json")["contents"][0]
    svc = example("3.0", "service_list.json")["contents"][0]
    svc.pop("organization")
    svc["organization_id"] = org["id"]
    svc["attributes"] = [{"id": "0e0c8d2a-3b6f-4f43-9f0e-4a3c2d1b0a99",
                          "taxonomy_term_id": term["id"]}]
    for name, data in (("a_services.json", [svc]), ("b_taxonomy_term.json", term),
                       ("c_organizations.json", [org]), ("d_taxonomies.json", [tax])):
        write(folder, name, data)
    imported(runner, folder, "--strict")
    got = api(app, f"/services/{svc['id']}")
    assert lost(svc, got) == NOTHING
    assert got["attributes"][0]["taxonomy_term"]["term_uri"] == term["term_uri"]
    assert lost(org, api(app, f"/organizations/{org['id']}")) == NOTHING
    assert lost(tax, api(app, f"/taxonomies/{tax['id']}")) == NOTHING
    assert lost(term, api(app, f"/taxonomy_terms/{term['id']}")) == NOTHING


def test_a_service_naming_an_unknown_organisation_is_refused(app: Flask,
                                                             runner: FlaskCliRunner,
                                                             tmp_path: Path) -> None:
    """organization_id alone must name an organisation stored or in the same import."""
    svc = example("3.0", "service_list.json")["contents"][0]
    svc.pop("organization")
    svc["organization_id"] = "11111111-2222-4333-8444-555555555555"
    result = runner.invoke(args=["services", "import", str(write(tmp_path, "s.json", svc))])
    assert result.exit_code != 0
    assert "unknown organization 11111111-2222-4333-8444-555555555555" in result.output


def test_modeled_fields_keep_their_meaning(app: Flask, runner: FlaskCliRunner) -> None:
    """A location's schedule stays the location's, a service_at_location's the place's; a
    postal address stays postal; wkst TU stays TU; the term's language, parent and taxonomy
    are as given, and upstream's taxonomy id finds the term; the £35 cost option stays."""
    doc = example("3.0", "service_full.json")
    imported(runner, REFERENCE / "hsds-3.0" / "examples" / "service_full.json")
    got = api(app, f"/services/{doc['id']}")
    sal = got["service_at_locations"][0]
    assert [s["wkst"] for s in got["schedules"]] == ["TU"]
    assert sal["schedules"][0]["id"] == doc["schedules"][0]["id"]
    assert sal["location"]["schedules"][0]["notes"].startswith("Some of our staff")
    assert sal["location"]["addresses"][0]["address_type"] == "postal"
    assert sal["location"]["phones"][0]["id"] == doc["phones"][0]["id"]
    term = got["attributes"][0]["taxonomy_term"]
    assert (term["language"], term["parent_id"], term["term_uri"]) == (
        "eng", "0bc248fa-dc27-4650-9ba4-8f1a24ef16a2", "http://example.com")
    assert got["cost_options"][0]["amount"] == 35
    assert got["cost_options"][0]["currency"] == "gbp"
    tax_id = term["taxonomy_detail"]["id"]
    assert api(app, f"/taxonomies/{tax_id}")["uri"] == "http://example.com"
    found = api(app, f"/services?taxonomy_id={tax_id}")["contents"]
    assert [s["id"] for s in found] == [doc["id"]]
    with app.app_context():
        stored = db.session.get(Service, doc["id"])
        assert stored is not None and stored.free is False
        assert db.session.get(TaxonomyTerm, term["id"]).parent_id == term["parent_id"]


def test_both_addresses_kept_and_the_physical_one_used(app: Flask, runner: FlaskCliRunner,
                                                       tmp_path: Path) -> None:
    """A location with a postal and a physical address keeps both, in their order; the
    physical one is the one Haven searches and shows."""
    doc = example("3.0", "service_full.json")
    loc = doc["service_at_locations"][0]["location"]
    postal = loc["addresses"][0]
    physical = {**postal, "id": "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", "address_type":
                "physical", "address_1": "2 Market Square", "postal_code": "XYZ 9876"}
    loc["addresses"] = [postal, physical]
    imported(runner, write(tmp_path, "two.json", doc))
    got = api(app, f"/services/{doc['id']}")["service_at_locations"][0]["location"]
    assert lost(loc["addresses"], got["addresses"]) == NOTHING
    from webapp.models import Location

    with app.app_context():
        stored = db.session.get(Location, loc["id"])
        assert stored is not None
        assert (stored.address_1, stored.postal_code) == ("2 Market Square", "XYZ 9876")


def _shouting(doc: dict[str, Any]) -> dict[str, Any]:
    """The example with what Haven normalises given otherwise: an id in upper case, a phone
    type and a language code with capitals, a phone twice, a service's own haven_space."""
    doc = copy.deepcopy(doc)
    doc["phones"][0]["id"] = doc["phones"][0]["id"].upper()
    doc["phones"][0]["type"] = "Voice"
    doc["languages"][0]["code"] = "UR"
    doc["phones"].append(copy.deepcopy(doc["phones"][0]))
    doc["haven_space"] = {"status": "full"}
    return doc


def test_what_is_changed_is_named_by_its_path(app: Flask, runner: FlaskCliRunner,
                                              tmp_path: Path) -> None:
    """Every value the import changes or does not keep is named by its field path (and
    every other one comes back): here a phone id in upper case (stored lower), the same
    phone twice, haven_space; the capitals of "Voice" and "UR" come back as given."""
    doc = _shouting(example("3.0", "service_full.json"))
    said = imported(runner, write(tmp_path, "s.json", doc))
    pid = doc["phones"][0]["id"]
    assert f'phones[0].id: changed "{pid}" → "{pid.lower()}"' in said
    assert f'phones[1].id: changed "{pid}" → "{pid.lower()}"' in said
    assert "phones[1]: not kept: phones[0] has the same id" in said
    assert "haven_space: not kept" in said
    got = api(app, f"/services/{doc['id']}")
    assert got["phones"][0]["type"] == "Voice"
    assert got["languages"][0]["code"] == "UR"
    named = set(re.findall(r"^warning: .*?\): (\S+): (?:changed|not kept)", said, re.M))
    assert len(named) == 4, said
    gone = lost(doc, got)
    differs = {p.split(": ")[0] for p in gone["changed"]} | set(gone["dropped"])
    assert differs, gone
    assert differs <= {p for p in leaves(doc) if any(
        p == n or p.startswith((n + ".", n + "[")) for n in named)}, (differs, named)


def test_strict_refuses_and_writes_nothing(app: Flask, runner: FlaskCliRunner,
                                           tmp_path: Path) -> None:
    """--strict: exit code not 0, each path named, not one row written."""
    doc = _shouting(example("3.0", "service_full.json"))
    with app.app_context():
        before = {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                  for m in (Service, Organization, Taxonomy, TaxonomyTerm)}
    result = runner.invoke(args=["services", "import", str(write(tmp_path, "s.json", doc)),
                                 "--strict"])
    assert result.exit_code != 0
    assert "nothing was imported" in result.output
    assert "phones[1]: not kept: phones[0] has the same id" in result.output
    assert "haven_space: not kept" in result.output
    with app.app_context():
        assert before == {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                          for m in (Service, Organization, Taxonomy, TaxonomyTerm)}
    assert app.test_client().get(f"{API}/services/{doc['id']}").status_code == 404


def test_a_confidential_street_never_leaves_even_in_extras(app: Flask, runner: FlaskCliRunner,
                                                           tmp_path: Path) -> None:
    """A confidential location's street is in no API answer and no export, wherever the
    source repeated it (its other addresses, transport directions, a contact's title, the
    organisation's copy of the location), and the import names what it left out."""
    doc = example("3.0", "service_full.json")
    street = "14 Hidden Lane"
    sal = doc["service_at_locations"][0]
    loc = sal["location"]
    loc["confidential"] = True
    loc["latitude"], loc["longitude"] = 51.50741, -0.12783
    loc["addresses"] = [{**loc["addresses"][0], "address_1": street, "address_type": "physical"},
                        {**loc["addresses"][0], "id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
                         "address_1": street, "address_type": "postal"}]
    loc["transportation"] = f"Bus 1 to {street}"
    sal["contacts"][0]["title"] = f"Warden at {street}"
    doc["organization"]["locations"] = [copy.deepcopy(loc)]
    doc["organization"]["locations"][0].pop("confidential")  # the copy does not say
    doc["metadata"][0]["previous_value"] = street.upper()
    said = imported(runner, write(tmp_path, "s.json", doc))
    assert "location.addresses[1]: not kept" in said
    assert "location.transportation: not kept" in said
    assert "service_at_locations[0].contacts[0].title: changed: a confidential" in said
    assert "metadata[0].previous_value: changed: a confidential" in said
    assert street not in said
    files = exported(runner, tmp_path)
    answers = [api(app, f"/services/{doc['id']}"),
               api(app, f"/service_at_locations/{sal['id']}"),
               api(app, f"/organizations/{doc['organization']['id']}?full_service=true"),
               api(app, f"/services?full=true&search={doc['name']}"),
               files]
    for answer in answers:
        text = json.dumps(answer, ensure_ascii=False).casefold()
        assert street.casefold() not in text
        assert "hidden lane" not in text
    served = api(app, f"/services/{doc['id']}")["service_at_locations"][0]["location"]
    assert "addresses" not in served and "transportation" not in served
    assert (served["latitude"], served["longitude"]) != (51.50741, -0.12783)


def test_term_hierarchy_as_given(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    """parent_id finds a term's children, top_only the terms without a parent, and
    taxonomy_id the terms of upstream's taxonomy (terms.hierarchy, which /taxonomy_terms
    reads the two parameters with)."""
    from flask import request

    from webapp.exchange import terms

    parent = {"id": "0bc248fa-dc27-4650-9ba4-8f1a24ef16a2", "code": "top", "name": "Top",
              "description": "A top term", "taxonomy_id": "5c4d79d7-cc55-470e-9f1f-8cad074e4892"}
    child = example("3.0", "taxonomy_term.json")
    write(tmp_path, "taxonomy_terms.json", [parent, child])
    write(tmp_path, "taxonomy.json", example("3.0", "taxonomy.json"))
    imported(runner, tmp_path, "--strict")
    tax = child["taxonomy_detail"]["id"]
    assert {t["id"] for t in api(app, f"/taxonomy_terms?taxonomy_id={tax}")["contents"]} == {
        parent["id"], child["id"]}

    def found(query: str) -> set[str]:
        with app.test_request_context("/?" + query):
            stmt = terms.hierarchy(select(TaxonomyTerm.id), request.args)
            return set(db.session.scalars(stmt.where(TaxonomyTerm.taxonomy_id == tax)))

    assert found(f"parent_id={parent['id']}") == {child["id"]}
    assert found(f"parent_id={parent['id'].upper()}") == {child["id"]}
    assert found("top_only=true") == {parent["id"]}
    assert found("top_only=0") == {parent["id"], child["id"]}


def test_a_partial_record_keeps_what_it_does_not_say(app: Flask, runner: FlaskCliRunner) -> None:
    """A record that says only part of a listing (an editor's form, a sheet row:
    keep_extras) leaves the stored extras as they are, its phones' and places' included."""
    from webapp.exchange import importer

    doc = example("3.0", "service_full.json")
    imported(runner, REFERENCE / "hsds-3.0" / "examples" / "service_full.json")
    before = api(app, f"/services/{doc['id']}")
    partial = {k: doc[k] for k in ("id", "name", "status", "description")}
    partial["name"] = "Community Counselling (edited)"
    partial["phones"] = [{"id": doc["phones"][0]["id"], "number": "+44 1234 999999",
                          "languages": [{"id": "2989d3ed-c547-48f8-8f9d-432d81c7892e",
                                         "code": "ur"}]}]
    partial["service_at_locations"] = [{k: v for k, v in doc["service_at_locations"][0].items()
                                        if k not in ("contacts", "phones")}]
    partial["organization_id"] = doc["organization"]["id"]
    with app.app_context():
        rows = importer.build_rows([importer.Record("editor", 1, partial, keep_extras=True)],
                                   app.config["HSDS_SCHEMA_DIR"])
        importer.commit_rows(rows)
    after = api(app, f"/services/{doc['id']}")
    assert after["name"] == "Community Counselling (edited)"
    assert after["phones"][0]["number"] == "+44 1234 999999"
    for name in ("contacts", "funding", "program", "required_documents", "metadata",
                 "cost_options", "wait_time", "accreditations", "service_areas"):
        assert after[name] == before[name], name
    assert after["phones"][0]["languages"] == before["phones"][0]["languages"]
    assert after["service_at_locations"][0]["contacts"] == \
        before["service_at_locations"][0]["contacts"]


def _set(path: str, value: Any) -> Any:
    """A mutation setting one value (path as leaves() writes it) of a copy of the record."""
    def mutate(doc: dict[str, Any]) -> None:
        parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
        obj: Any = doc
        for part in parts[:-1]:
            obj = obj[int(part[1:-1])] if part.startswith("[") else obj[part]
        last = parts[-1]
        obj[int(last[1:-1]) if last.startswith("[") else last] = value
    return mutate


def _twice(name: str) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        doc[name].append(copy.deepcopy(doc[name][0]))
    return mutate


SAL = "service_at_locations[0]"
LOC = f"{SAL}.location"
TERM = "attributes[0].taxonomy_term"


@pytest.mark.parametrize(("mutate", "named"), [
    # given otherwise, kept as given: nothing to say
    (_set("phones[0].type", "VOICE"), set()),
    (_set("languages[0].code", "UR"), set()),
    (_set("last_modified", "2023-03-15T11:30:45.5+01:00"), set()),
    (_set(f"{LOC}.addresses[0].country", "us"),  # and the organisation's copy says "US"
     {"organization.locations[0].addresses[0].country"}),
    (_set("x_local", {"rating": [1, 2]}), set()),
    (_set(f"{LOC}.latitude", 91), {"organization.locations[0].latitude"}),
    # changed or not kept: named
    (_set("id", "AC148810-D857-441C-9679-408F346DE14B"), {"id"}),
    (_set("contacts[0].id", "1E7EFCE3-639B-4880-940C-B95CD30CDB50"), {"contacts[0].id"}),
    (_twice("languages"), {"languages[1]"}),
    (_twice("schedules"), {"schedules[1]"}),
    (_set("languages[0]", {"id": "2989d3ed-c547-48f8-8f9d-432d81c7892e", "note": "?"}),
     {"languages[0]"}),
    (_set("haven_space", {"status": "full"}), {"haven_space"}),
    (_set(f"{LOC}.haven_area", {"city": "Elsewhere"}), {f"{LOC}.haven_area.city"}),
    (_set(f"{TERM}.taxonomy", "haven-categories"), set()),
    (_set(f"{TERM}.description", ""), {f"{TERM}.description"}),
    (_set("organization.services", [{"id": "5e1f0c2a-7d3b-4e8f-9a1b-2c3d4e5f6a7b"}]),
     {"organization.services"}),
])
def test_nothing_is_lost_unnamed(app: Flask, mutate: Any, named: set[str]) -> None:
    """Whatever a record gives, each value that does not come back from the API as given is
    under a field path the import named, and the import names no more than that."""
    from webapp.exchange import importer

    doc = example("3.0", "service_full.json")
    mutate(doc)
    with app.app_context():
        done = importer.import_records([importer.Record("t.json", 1, doc)],
                                       app.config["HSDS_SCHEMA_DIR"])
    said = {re.match(r".*?\): (\S+): (?:changed|not kept)", w).group(1)  # type: ignore[union-attr]
            for w in done.warnings}
    assert said == named, done.warnings
    gone = lost(doc, api(app, f"/services/{doc['id'].lower()}"))
    differs = {p.split(": ")[0] for p in gone["changed"]} | set(gone["dropped"])
    assert all(any(p == n or p.startswith((n + ".", n + "[")) for n in said)
               for p in differs), (differs, said)


def test_haven_to_haven_with_nothing_to_say(app: Flask, runner: FlaskCliRunner,
                                            tmp_path: Path) -> None:
    """Haven's own export (a folder: services, organisations, taxonomies, terms) imports
    back under --strict with nothing to warn about, and exports again the same."""
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    first = exported(runner, tmp_path / "one")
    said = imported(runner, tmp_path / "one" / "export", "--strict")
    assert "warning" not in said and "note" not in said
    again = exported(runner, tmp_path / "two")
    assert len(first["services.json"]) >= 100
    for name, records in first.items():
        for rid, record in records.items():
            assert lost(record, again[name][rid]) == NOTHING, (name, rid)


def test_strict_on_every_core_too(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large import (on worker processes) names what it changes and, under --strict,
    writes nothing, as on one core."""
    from webapp.exchange import importer, parallel

    monkeypatch.setattr(parallel, "FROM", 10)
    monkeypatch.setattr(parallel, "CHUNK", 7)
    if not parallel.worth_it(20):
        pytest.skip("one core")
    base = example("3.0", "service_list.json")["contents"][0]
    docs = []
    for n in range(20):
        doc = copy.deepcopy(base)
        doc["id"] = f"00000000-0000-4000-8000-{n:012d}"
        docs.append(doc)
    docs[13]["program"]["id"] = docs[13]["program"]["id"].upper()
    records = [importer.Record("big.json", i + 1, d) for i, d in enumerate(docs)]
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Service))
        with pytest.raises(importer.ImportError_) as refused:
            importer.import_records(records, app.config["HSDS_SCHEMA_DIR"], strict=True)
        assert any("program.id: changed" in e for e in refused.value.errors)
        assert db.session.scalar(select(func.count()).select_from(Service)) == before
        done = importer.import_records(records, app.config["HSDS_SCHEMA_DIR"])
        assert [w.split("): ")[-1] for w in done.warnings] == [
            f'program.id: changed "{docs[13]["program"]["id"]}" → '
            f'"{docs[13]["program"]["id"].lower()}"']
        assert db.session.scalar(select(func.count()).select_from(Service)) == before + 20


def test_kinds_mixed_in_one_list(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    """A list whose file name says nothing: each record's kind comes from its properties
    (a term, an organisation, a service naming both by id); a location alone is refused
    with a reason, not as a service missing its status."""
    term = example("3.1", "taxonomy_term.json")
    org = example("3.1", "organization_list.json")["contents"][0]
    svc = example("3.1", "service_list.json")["contents"][0]
    svc.pop("organization")
    svc["organization_id"] = org["id"]
    svc["attributes"] = [{"id": "6a1f3e0c-2b4d-4c5e-9f60-718293a4b5c6",
                          "taxonomy_term_id": term["id"], "label": "A label"}]
    imported(runner, write(tmp_path, "mixed.json", [svc, org, term]), "--strict")
    got = api(app, f"/services/{svc['id']}")
    assert lost(svc, got) == NOTHING
    assert lost(term, got["attributes"][0]["taxonomy_term"]) == NOTHING
    place = example("3.0", "location.json")
    result = runner.invoke(args=["services", "import", str(write(tmp_path, "location.json",
                                                                  place))])
    assert result.exit_code != 0
    assert "imported within the organization, service or service_at_location" in result.output
    assert "'status' is a required property" not in result.output


def test_one_copy_saying_confidential_is_enough(app: Flask, runner: FlaskCliRunner,
                                                tmp_path: Path) -> None:
    """A shelter given as confidential by one record and again, without the flag, by a
    later record (its organisation's list of places) stays confidential: its street is in
    no answer, and the import names the flag it set."""
    street = "14 Hidden Lane"
    first = example("3.0", "service_full.json")
    loc = first["service_at_locations"][0]["location"]
    loc["confidential"] = True
    loc["addresses"][0]["address_1"] = street
    first["organization"].pop("locations")
    second = copy.deepcopy(first)
    second["id"] = "2b7c9d1e-3f4a-4b5c-8d6e-7f8091a2b3c4"
    second["service_at_locations"] = []
    second["organization"]["locations"] = [{**copy.deepcopy(loc), "confidential": False}]
    said = imported(runner, write(tmp_path, "two.json", [first, second]))
    assert "organization.locations[0].confidential: changed false → true" in said
    for url in (f"/services/{first['id']}", f"/services/{second['id']}",
                f"/organizations/{first['organization']['id']}?full_service=true"):
        assert "hidden lane" not in json.dumps(api(app, url)).casefold(), url
