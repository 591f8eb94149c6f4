"""HSDS CSV datapackages in and out: upstream's tabular example (3.1 through its
datapackage.json, 3.0 by its file names) imports with every value, is served whole by the
API, and goes CSV -> Haven -> CSV -> Haven with 0 dropped and 0 changed values; the export is
a datapackage whose descriptor lists every file with its fields; a confidential location's
street is in no file; what reading cannot keep is named, and --strict refuses it."""

from __future__ import annotations

import copy
import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from bench.import_csv import scale
from tests.conftest import BACKEND, Templates, make_app
from tests.import_helpers import leaves, reid, tables
from tests.reference import HSDS_30, HSDS_31
from webapp.exchange import csvpackage, importer, parallel
from webapp.extensions import db
from webapp.models import Location, Service

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

PACKAGES = {"3.1": HSDS_31 / "examples" / "csv", "3.0": HSDS_30 / "examples" / "csv"}
# 3.0's example has no readable descriptor: its cells are typed as 3.1's descriptor types them
UPSTREAM_DESCRIPTOR = HSDS_31 / "datapackage.json"
API = "/api/hsds"
ROOTS = {"service": "services", "organization": "organizations", "taxonomy": "taxonomies",
         "taxonomy_term": "taxonomy_terms"}

Tables = dict[str, dict[str, dict[str, Any]]]


def _value(text: str, spec: dict[str, Any]) -> Any:
    """A cell as the value its field's type says (this test's own reading, not Haven's)."""
    kind = spec.get("type", "string")
    if spec.get("haven:json") or kind in ("object", "array"):
        return json.loads(text)
    if kind in ("number", "integer"):
        return float(text)
    if kind == "boolean":
        return text in ("true", "True", "TRUE", "1")
    return text


def read_tables(folder: Path, descriptor: Path | None = None) -> Tables:
    """table file -> row id -> its non-empty cells as values, typed by the descriptor."""
    doc = json.loads((descriptor or folder / "datapackage.json").read_text("utf-8"))
    types = {res["path"]: {f["name"]: f for f in res["schema"]["fields"]}
             for res in doc["resources"]}
    out: Tables = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        specs = types.get(path.name, {})
        out[path.name] = {r["id"]: {k: _value(v, specs.get(k, {})) for k, v in r.items()
                                    if v != ""} for r in rows}
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return bool(a == b)


def lost_cells(given: Tables, got: Tables) -> dict[str, list[str]]:
    """The cells of given that got drops or changes (file: id: column)."""
    dropped, changed = [], []
    for name, rows in given.items():
        for rid, row in rows.items():
            theirs = got.get(name, {}).get(rid)
            for col, value in row.items():
                where = f"{name}: {rid}: {col}"
                if theirs is None or col not in theirs:
                    dropped.append(where)
                elif not _same(value, theirs[col]):
                    changed.append(f"{where}: {value!r} -> {theirs[col]!r}")
    return {"dropped": dropped, "changed": changed}


NOTHING: dict[str, list[str]] = {"dropped": [], "changed": []}


def lost(given: Any, served: Any) -> dict[str, list[str]]:
    """The leaves of given that served drops or changes."""
    mine, theirs = leaves(given), leaves(served)
    return {"dropped": sorted(p for p in mine if p not in theirs),
            "changed": sorted(f"{p}: {mine[p]!r} -> {theirs[p]!r}" for p in mine
                              if p in theirs and not _same(mine[p], theirs[p]))}


def cli(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(args=["services", *args])
    assert result.exit_code == 0, result.output
    return result.output


def exported(runner: FlaskCliRunner, folder: Path) -> Path:
    said = cli(runner, "export", str(folder), "--format", "csv")
    assert f"to {folder / 'datapackage.json'}" in said
    return folder


def served(app: Flask, kind: str, rid: str) -> Any:
    url = f"{API}/{ROOTS[kind]}/{rid}" + ("?full_service=true" if kind == "organization" else "")
    resp = app.test_client().get(url)
    assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:300])
    return resp.json


def objects(doc: Any) -> list[dict[str, Any]]:
    """Every object with an id anywhere in a JSON document."""
    found: list[dict[str, Any]] = []
    if isinstance(doc, dict):
        if "id" in doc:
            found.append(doc)
        for v in doc.values():
            found += objects(v)
    elif isinstance(doc, list):
        for v in doc:
            found += objects(v)
    return found


def upstream(version: str) -> Tables:
    folder = PACKAGES[version]
    return read_tables(folder, None if version == "3.1" else UPSTREAM_DESCRIPTOR)


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_upstream_package_is_served_whole(app: Flask, runner: FlaskCliRunner,
                                          version: str) -> None:
    """Every table of upstream's package is read (all 24 of 3.1 through its descriptor, 21 of
    3.0 by file name, which the import says), imports under --strict, and every cell of every
    row is in the API's answers, as given; each record the package makes comes back whole."""
    folder = PACKAGES[version]
    said = cli(runner, "import", str(folder), "--strict")
    assert "warning" not in said
    assert ("read by their HSDS file names" in said) == (version == "3.0")
    given = upstream(version)
    assert len(given) == (24 if version == "3.1" else 21)
    records = csvpackage.read(folder).records
    answers = {}
    for kind, _file, _i, record in records:
        answers[record["id"]] = served(app, kind, record["id"])
        assert lost(record, answers[record["id"]]) == NOTHING, kind
    by_id: dict[str, list[dict[str, Any]]] = {}
    for obj in objects(list(answers.values())):
        by_id.setdefault(str(obj["id"]), []).append(obj)
    missing = []
    for name, rows in given.items():
        for rid, row in rows.items():
            if not any(lost_cells({name: {rid: row}}, {name: {rid: obj}}) == NOTHING
                       for obj in by_id.get(rid, [])):
                missing.append(f"{name}: {rid}")
    assert missing == []


@pytest.fixture
def second_app(templates: Templates, request: pytest.FixtureRequest) -> Flask:
    """Another Haven, on its own copy of the seeded database."""
    return make_app(BACKEND, templates, request)


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_csv_haven_csv_haven(app: Flask, runner: FlaskCliRunner, second_app: Flask,
                             tmp_path: Path, version: str) -> None:
    """Upstream's package into Haven, out as a CSV package with every cell as given (0
    dropped, 0 changed), into a second Haven under --strict with nothing to say, and out
    again the same; the second Haven serves each record as the first does."""
    cli(runner, "import", str(PACKAGES[version]))
    one = exported(runner, tmp_path / "one")
    assert lost_cells(upstream(version), read_tables(one)) == NOTHING
    again = second_app.test_cli_runner()
    said = cli(again, "import", str(one / "datapackage.json"), "--strict")
    assert "warning" not in said
    two = exported(again, tmp_path / "two")
    first, second = read_tables(one), read_tables(two)
    assert lost_cells(first, second) == NOTHING
    assert lost_cells(second, first) == NOTHING
    for kind, _file, _i, record in csvpackage.read(PACKAGES[version]).records:
        assert lost(served(app, kind, record["id"]),
                    served(second_app, kind, record["id"])) == NOTHING


def test_export_is_a_datapackage_of_every_table(app: Flask, runner: FlaskCliRunner,
                                                tmp_path: Path) -> None:
    """One CSV per HSDS table (upstream's resource names, file names and columns), each listed by datapackage.json with its fields; the ids are unique;
    the shipped directory goes through it and back with nothing to say."""
    cli(runner, "import", str(PACKAGES["3.1"]))
    folder = exported(runner, tmp_path / "out")
    doc = json.loads((folder / "datapackage.json").read_text("utf-8"))
    assert doc["profile"] == "tabular-data-package"
    theirs = {r["name"]: r for r in json.loads(UPSTREAM_DESCRIPTOR.read_text("utf-8"))
              ["resources"]}
    mine = {r["name"]: r for r in doc["resources"]}
    assert set(theirs) <= set(mine)
    assert {p.name for p in folder.glob("*.csv")} == {r["path"] for r in mine.values()}
    for name, res in mine.items():
        assert res["profile"] == "tabular-data-resource" and res["format"] == "csv"
        with (folder / res["path"]).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        fields = [f["name"] for f in res["schema"]["fields"]]
        assert rows[0] == fields, name
        assert all(len(r) == len(fields) for r in rows), name
        ids = [r[0] for r in rows[1:]]
        assert res["schema"]["primaryKey"] == "id" and len(set(ids)) == len(ids), name
        upstream_fields = [f["name"] for f in theirs.get(name, {"schema": {"fields": []}})
                           ["schema"]["fields"]]
        assert set(upstream_fields) <= set(fields), name
    services = read_tables(folder)["services.csv"]
    assert len(services) >= 100
    said = cli(runner, "import", str(folder), "--strict")
    assert "warning" not in said


def test_a_confidential_street_is_in_no_file(app: Flask, runner: FlaskCliRunner,
                                             tmp_path: Path) -> None:
    """A shelter's street is in no CSV file, wherever its source repeated it, and its exact
    point neither; the place itself is there (city, coarse point)."""
    doc = json.loads((HSDS_30 / "examples" / "service_full.json").read_text("utf-8"))
    street = "14 Hidden Lane"
    sal = doc["service_at_locations"][0]
    loc = sal["location"]
    loc["confidential"] = True
    loc["latitude"], loc["longitude"] = 51.50741, -0.12783
    loc["addresses"] = [{**loc["addresses"][0], "address_1": street, "address_type": "physical"}]
    sal["contacts"][0]["title"] = f"Warden at {street}"
    doc["organization"]["locations"] = [copy.deepcopy(loc)]
    doc["organization"]["locations"][0].pop("confidential")
    (tmp_path / "s.json").write_text(json.dumps(doc), "utf-8")
    cli(runner, "import", str(tmp_path / "s.json"))
    folder = exported(runner, tmp_path / "out")
    text = "\n".join(p.read_text("utf-8") for p in folder.iterdir()).casefold()
    assert "hidden lane" not in text
    assert "51.50741" not in text and "0.12783" not in text
    locations = read_tables(folder)["locations.csv"]
    assert locations[loc["id"]]["confidential"] is True
    assert not [r for r in read_tables(folder)["addresses.csv"].values()
                if r.get("location_id") == loc["id"]]


def _copy_package(tmp_path: Path) -> Path:
    folder = tmp_path / "pkg"
    shutil.copytree(PACKAGES["3.1"], folder)
    return folder


def test_the_descriptor_decides_files_and_types(app: Flask, runner: FlaskCliRunner,
                                                tmp_path: Path) -> None:
    """A resource is read from the file its descriptor names, and a column of its own is
    typed as the descriptor says (an integer here) and served as given."""
    folder = _copy_package(tmp_path)
    (folder / "services.csv").rename(folder / "svc.csv")
    doc = json.loads((folder / "datapackage.json").read_text("utf-8"))
    res = next(r for r in doc["resources"] if r["name"] == "service")
    res["path"] = "svc.csv"
    res["schema"]["fields"].append({"name": "x_beds", "type": "integer"})
    (folder / "datapackage.json").write_text(json.dumps(doc), "utf-8")
    with (folder / "svc.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0].append("x_beds")
    rows[1].append("12")
    with (folder / "svc.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    cli(runner, "import", str(folder), "--strict")
    got = served(app, "service", "ac148810-d857-441c-9679-408f346de14b")
    assert got["x_beds"] == 12
    assert got["phones"][0]["number"] == '"+44 1234 234567"'


def test_what_reading_cannot_keep_is_named(app: Flask, runner: FlaskCliRunner,
                                           tmp_path: Path) -> None:
    """A cell beyond the header, a second row with an id its table has, a file the
    descriptor does not list: each named; --strict writes nothing; a cell that is not of its
    field's type refuses the import, naming file, line and field."""
    folder = _copy_package(tmp_path)
    with (folder / "phones.csv").open("a", encoding="utf-8", newline="") as fh:
        fh.write("1554f2e2-a373-45db-a3fa-9fc48a61c15e,,,,,,+1 555 0100,,voice,again,stray\r\n")
    (folder / "notes.csv").write_text("id,text\r\n1,hello\r\n", "utf-8")
    result = runner.invoke(args=["services", "import", str(folder), "--strict"])
    assert result.exit_code != 0
    assert "nothing was imported" in result.output
    assert "phones.csv: line 3: not kept: 1 cell(s) beyond the header" in result.output
    assert "phones.csv: line 3 (id 1554f2e2-a373-45db-a3fa-9fc48a61c15e): not kept: " \
           "phones.csv: line 2 has the same id" in result.output
    assert "notes.csv: not kept: datapackage.json does not list it" in result.output
    assert app.test_client().get(f"{API}/services/ac148810-d857-441c-9679-408f346de14b"
                                 ).status_code == 404
    said = cli(runner, "import", str(folder))
    assert "warning: " in said and "cell(s) beyond the header" in said
    with (folder / "services.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][rows[0].index("minimum_age")] = "twelve"
    with (folder / "services.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = runner.invoke(args=["services", "import", str(folder)])
    assert result.exit_code != 0
    assert "services.csv: line 2: field 'minimum_age': 'twelve' is not a number" in result.output


def test_a_large_package_on_every_core(app: Flask, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Upstream's package scaled (four services at each place: the later three name it by
    location_id alone), imported on worker processes: every service is written with its
    place, the note on the out-of-range point is said, as on one core."""
    folder = tmp_path / "big"
    scale(PACKAGES["3.1"], folder, 240)
    monkeypatch.setattr(parallel, "FROM", 100)
    monkeypatch.setattr(parallel, "CHUNK", 50)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    used: list[int] = []
    real = parallel.run

    def spy(*args: Any, **kw: Any) -> Any:
        used.append(len(args[0]))
        return real(*args, **kw)

    monkeypatch.setattr(parallel, "run", spy)
    result = app.test_cli_runner().invoke(args=["services", "import", str(folder)])
    assert result.exit_code == 0, result.output
    assert used and "Imported 240 service(s)" in result.output
    assert "latitude/longitude out of range" in result.output
    services = read_tables(folder, UPSTREAM_DESCRIPTOR)["services.csv"]
    sals = read_tables(folder, UPSTREAM_DESCRIPTOR)["service_at_location.csv"]
    by_id = [s for s in sals.values() if s["location_id"] != sals[next(iter(sals))]
             ["location_id"]]
    assert len({s["location_id"] for s in sals.values()}) == 60
    for sal in list(sals.values())[:8] + by_id[-4:]:
        got = served(app, "service", sal["service_id"])
        assert got["service_at_locations"][0]["location"]["id"] == sal["location_id"]
    assert len(services) == 240


# On worker processes (exchange/parallel.py), what one core does with places and records
# given twice, across chunks: small chunks, two workers, the shipped directory re-id'd.

def _shipped(app: Flask) -> list[dict[str, Any]]:
    return [r.data for r in importer.read_records(Path(app.config["HAVEN_DATA_DIR"]))]


def _both(one: Flask, many: Flask, records: list[importer.Record]) -> tuple[Any, Any]:
    """(what one core writes or refuses, the same on two workers) and each Outcome."""
    out = []
    for app, how in ((one, "one"), (many, "many")):
        with app.app_context():
            try:
                if how == "one":
                    rows = importer.build_rows(copy.deepcopy(records),
                                               app.config["HSDS_SCHEMA_DIR"])
                    importer.commit_rows(rows)
                    done = importer.Outcome(len(rows.services), rows.warnings, rows.notices)
                else:
                    done = parallel.run(copy.deepcopy(records), app.config["HSDS_SCHEMA_DIR"],
                                        workers=2)
            except importer.ImportError_ as exc:
                db.session.rollback()
                out.append((exc.errors, None))
                continue
            out.append((tables(), done))
    return out[0], out[1]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "CHUNK", 10)


def _by_id(app: Flask, n: int) -> list[dict[str, Any]]:
    """The shipped services with places, re-id'd; from the third chunk on, each names by id
    alone the place of a service of the first chunk; the last, a stored place."""
    shipped = [s for s in reid(_shipped(app), n) if s.get("service_at_locations")]
    assert len(shipped) > 4 * parallel.CHUNK
    for i in range(2 * parallel.CHUNK, len(shipped)):
        sal = shipped[i]["service_at_locations"][0]
        sal["location_id"] = shipped[i % parallel.CHUNK]["service_at_locations"][0][
            "location"]["id"]
        del sal["location"]
    stored = _shipped(app)[0]["service_at_locations"]
    shipped[-1]["service_at_locations"][0]["location_id"] = stored[0]["location"]["id"]
    return shipped


def test_places_named_by_id_on_every_core(app: Flask, second_app: Flask,
                                          small_chunks: None) -> None:
    """Services whose place names a location by id alone (carried by a service chunks
    before, or stored) import on workers as on one core, search data included; one naming a
    place nobody has is refused with one core's words, and nothing is written."""
    shipped = _by_id(app, 3)
    records = [importer.Record("t.json", i + 1, s) for i, s in enumerate(shipped)]
    (one, _), (many, done) = _both(app, second_app, records)
    assert isinstance(many, dict), many
    assert many == one
    assert done.services == len(records)
    shipped = _by_id(app, 5)
    shipped[-1]["service_at_locations"][0]["location_id"] = "0" * 8 + "-0000-4000-8000-" + "0" * 12
    records = [importer.Record("t.json", i + 1, s) for i, s in enumerate(shipped)]
    (one, _), (many, _) = _both(app, second_app, records)
    assert isinstance(one, list) and "unknown location 00000000-" in one[-1]
    assert many == one
    with second_app.app_context():
        assert db.session.get(Service, shipped[0]["id"]) is None


def test_confidential_and_given_twice_across_chunks(app: Flask, second_app: Flask,
                                                    small_chunks: None) -> None:
    """A shelter called confidential in one chunk (or by an organisation record) and given
    again without the flag chunks later stays confidential on workers (its street in no
    answer), and each value the later copy changes is named, as on one core; so is the
    out-of-range point."""
    shipped = [s for s in reid(_shipped(app), 4) if s.get("service_at_locations")]
    shelter = next(s for s in shipped[:parallel.CHUNK]
                   if s["service_at_locations"][0]["location"].get("confidential"))
    late = shipped[3 * parallel.CHUNK]
    place = copy.deepcopy(shelter["service_at_locations"][0]["location"])
    place.pop("confidential")
    place["name"] = "Renamed later"
    late["service_at_locations"][0]["location"] = place
    late["service_at_locations"][0]["location_id"] = place["id"]
    odd = next(s["service_at_locations"][0]["location"] for s in shipped[2 * parallel.CHUNK:]
               if not s["service_at_locations"][0]["location"].get("confidential"))
    odd["latitude"], odd["longitude"] = 100, 101
    # an organisation (written before the services, on one core) calling a place of a
    # later service confidential
    public = next(s["service_at_locations"][0]["location"] for s in shipped[parallel.CHUNK:]
                  if not s["service_at_locations"][0]["location"].get("confidential"))
    org = {"id": "5e1f0c2a-7d3b-4e8f-9a1b-2c3d4e5f6a7b", "name": "Shelters", "description": "x",
           "locations": [{**copy.deepcopy(public), "confidential": True}]}
    records = [importer.Record("t.json", i + 1, s) for i, s in enumerate(shipped)]
    records.append(importer.Record("o.json", 1, org, "organization"))
    (one, said_one), (many, said_many) = _both(app, second_app, records)
    assert isinstance(many, dict), many
    assert many == one
    with second_app.app_context():
        assert db.session.get(Location, public["id"]).confidential is True
    assert sorted(said_many.warnings) == sorted(said_one.warnings)
    assert any("Renamed later" in w for w in said_many.warnings)
    assert any("confidential: changed" in w for w in said_many.warnings)
    assert said_many.notices == said_one.notices
    assert any("out of range" in n for n in said_many.notices)
    street = shelter["service_at_locations"][0]["location"]["addresses"][0]["address_1"]
    with second_app.app_context():
        assert db.session.get(Location, place["id"]).confidential is True
    answer = second_app.test_client().get(f"{API}/services/{late['id']}").get_data(as_text=True)
    assert street not in answer


def test_values_of_any_type_come_back_typed(app: Flask, runner: FlaskCliRunner,
                                            second_app: Flask, tmp_path: Path) -> None:
    """Properties of a source's own, of any JSON type (a column mixing them too), go out as
    CSV cells and come back from the second Haven the same values of the same types."""
    doc = json.loads((HSDS_30 / "examples" / "service_full.json").read_text("utf-8"))
    other = copy.deepcopy(doc)
    other["id"] = "5e1f0c2a-7d3b-4e8f-9a1b-2c3d4e5f6a7c"
    doc.update(x_mixed=7, x_flag=True, x_ratio=0.125, x_list=["a", 1], x_obj={"k": [1, {"j": 2}]},
               x_text="12")
    other.update(x_mixed="seven", x_flag=False, x_ratio=3)
    (tmp_path / "s.json").write_text(json.dumps([doc, other]), "utf-8")
    cli(runner, "import", str(tmp_path / "s.json"))
    folder = exported(runner, tmp_path / "out")
    fields = {f["name"]: f for r in json.loads((folder / "datapackage.json").read_text("utf-8"))
              ["resources"] if r["name"] == "service" for f in r["schema"]["fields"]}
    assert fields["x_mixed"]["type"] == "any" and fields["x_flag"]["type"] == "boolean"
    cli(second_app.test_cli_runner(), "import", str(folder), "--strict")
    for record in (doc, other):
        got = served(second_app, "service", record["id"])
        for name in ("x_mixed", "x_flag", "x_ratio", "x_list", "x_obj", "x_text"):
            if name in record:
                assert got[name] == record[name] and type(got[name]) is type(record[name]), name


def test_a_schedule_naming_a_place_elsewhere_keeps_it(app: Flask, runner: FlaskCliRunner,
                                                      tmp_path: Path) -> None:
    """A schedule whose service_at_location_id names no place of the package nests under its
    service, and still serves that id as given (it was dropped unnamed)."""
    folder = _copy_package(tmp_path)
    with (folder / "schedules.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    elsewhere = "93eaf18d-1cd2-4ec7-bffb-3c9172ee5070"
    rows[1][rows[0].index("service_at_location_id")] = elsewhere
    with (folder / "schedules.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    said = cli(runner, "import", str(folder), "--strict")
    assert "warning" not in said
    got = served(app, "service", "ac148810-d857-441c-9679-408f346de14b")
    assert [s["service_at_location_id"] for s in got["schedules"]] == [elsewhere]
    assert lost_cells(read_tables(folder), read_tables(exported(runner, tmp_path / "out"))) \
        == NOTHING
