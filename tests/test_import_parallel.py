"""A large import on every core (webapp/exchange/parallel.py) writes exactly what one core
writes, refuses exactly what one core refuses with the same messages in the same order, and
leaves nothing behind when it refuses, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import multiprocessing.queues
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from tests.conftest import BACKEND, Templates, make_app
from tests.import_helpers import TABLES, reid, tables
from webapp.exchange import importer, parallel, shaping
from webapp.extensions import db
from webapp.models import Service

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

def _records(app: Flask) -> list[importer.Record]:
    """The shipped directory again (every service exists: replaced in place), then two new
    copies of it; in the second, the first service refers by id alone to an organisation
    that only a later record carries."""
    shipped = [r.data for r in importer.read_records(Path(app.config["HAVEN_DATA_DIR"]))]
    first, second = reid(shipped, 1), reid(shipped, 2)
    carrier = next(i for i, rec in enumerate(second) if i > 40 and rec.get("organization"))
    org = second[carrier]["organization"]
    second[0].pop("organization", None)
    second[0]["organization_id"] = org["id"]
    everything = shipped + first + second
    return [importer.Record("test.json", i + 1, copy.deepcopy(rec))
            for i, rec in enumerate(everything)]


@pytest.fixture
def two_apps(templates: Templates, request: pytest.FixtureRequest,
             monkeypatch: pytest.MonkeyPatch) -> tuple[Flask, Flask]:
    """Two apps on two fresh copies of the seeded database; small chunks, two workers."""
    monkeypatch.setattr(parallel, "CHUNK", 23)
    return make_app(BACKEND, templates, request), make_app(BACKEND, templates, request)


def _one_core(app: Flask, records: list[importer.Record]) -> Any:
    with app.app_context():
        try:
            importer.commit_rows(importer.build_rows(records, app.config["HSDS_SCHEMA_DIR"]))
        except importer.ImportError_ as exc:
            db.session.rollback()
            return exc.errors
        return tables()


def _workers(app: Flask, records: list[importer.Record], **kw: Any) -> Any:
    with app.app_context():
        try:
            parallel.run(records, app.config["HSDS_SCHEMA_DIR"], workers=2, **kw)
        except importer.ImportError_ as exc:
            return exc.errors
        return tables()


def test_writes_what_one_core_writes(two_apps: tuple[Flask, Flask]) -> None:
    one, many = two_apps
    records = _records(one)
    assert len(records) > 10 * parallel.CHUNK
    expected = _one_core(one, records)
    got = _workers(many, records)
    assert isinstance(got, dict), got
    for name in TABLES:
        assert got[name] == expected[name], name
    with many.app_context():
        assert db.session.scalar(select(func.count()).select_from(Service)) == \
            len({r.data["id"] for r in records})
        if BACKEND == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
            assert db.session.execute(text("PRAGMA cache_size")).scalar() == -2000
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_upper_case_ids_write_what_one_core_writes(two_apps: tuple[Flask, Flask]) -> None:
    """Ids are stored in lower case on every core too, references by id alone included (a
    service naming an organisation that a later record carries)."""
    one, many = two_apps
    upper = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    records = [importer.Record(r.source, r.index, json.loads(upper.sub(
        lambda m: m.group(0).upper(), json.dumps(r.data)))) for r in _records(one)]
    assert records[-1].data["id"] != records[-1].data["id"].lower()
    expected = _one_core(one, records)
    got = _workers(many, records)
    assert isinstance(expected, dict), expected
    assert isinstance(got, dict), got
    for name in TABLES:
        assert got[name] == expected[name], name


def _index_files() -> dict[str, int]:
    """PostgreSQL: index name -> the file holding it (REINDEX gives an index a new one)."""
    names = [table.name for table in parallel.TABLES]
    return dict(db.session.execute(text(
        "SELECT c.relname, c.relfilenode FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(:names)"),
        {"names": names}).all())


@pytest.mark.skipif(BACKEND != "postgresql", reason="a PostgreSQL bulk load's own step")
def test_a_load_that_doubles_the_directory_repacks_its_indexes(
        two_apps: tuple[Flask, Flask]) -> None:
    app = two_apps[0]
    shipped = [r.data for r in importer.read_records(Path(app.config["HAVEN_DATA_DIR"]))]
    with app.app_context():
        before = _index_files()
        parallel.run([importer.Record("again.json", i + 1, rec)
                      for i, rec in enumerate(copy.deepcopy(shipped))],
                     app.config["HSDS_SCHEMA_DIR"], workers=2)
        assert _index_files() == before  # written over, not grown: left as they are
        parallel.run([importer.Record("new.json", i + 1, rec)
                      for i, rec in enumerate(reid(shipped, 7))],
                     app.config["HSDS_SCHEMA_DIR"], workers=2)
        after = _index_files()
        assert len(after) >= 10 and all(after[name] != before[name] for name in before)
        analyzed = db.session.execute(text(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NULL"
            " AND relname = ANY(:names)"), {"names": [t.name for t in parallel.TABLES]}).all()
        assert analyzed == []


def test_rows_that_break_a_reference_are_never_written(
        two_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    """The database's own reference check is off during the writes (SQLite): the writer's
    must catch a fault in the importer itself, and nothing is written."""
    _one, many = two_apps
    records = _records(many)
    real = shaping.collect
    orphan = records[100].data["id"]
    nowhere = str(uuid.uuid4())  # a service id in no record

    def faulty(rec: dict[str, Any], rows: importer.Rows, known: dict[str, str]) -> list[str]:
        found = real(rec, rows, known)
        if rec["id"] == orphan:
            rows.phones.append({**rows.phones[-1], "service_id": nowhere})
        return found

    monkeypatch.setattr(shaping, "collect", faulty)
    with many.app_context():
        before = tables()
        with pytest.raises(RuntimeError, match=nowhere):
            parallel.run(records, many.config["HSDS_SCHEMA_DIR"], workers=2)
        assert tables() == before
        if BACKEND == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_chunk_the_writer_alone_refuses_stops_the_import(
        two_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk the writer refuses while no check refuses any record (a fault in the importer,
    as keys spelt two ways once were) stops the import: nothing is committed."""
    _one, many = two_apps
    records = _records(many)
    real = parallel._Writer.write
    calls: list[int] = []

    def refuses_the_third(self: Any, piece: Any) -> bool:
        calls.append(1)
        return len(calls) != 3 and real(self, piece)

    monkeypatch.setattr(parallel._Writer, "write", refuses_the_third)
    with many.app_context():
        before = tables()
        with pytest.raises(RuntimeError, match="no check refused"):
            parallel.run(records, many.config["HSDS_SCHEMA_DIR"], workers=2)
        assert tables() == before


_WORK = parallel._work


def _steady_work(span: tuple[int, int]) -> Any:
    """A worker's chunk, the later ones later (at module level: the pool pickles it by name)."""
    time.sleep(0.15 * (span[0] // parallel.CHUNK))
    return _WORK(span)


def test_a_write_that_fails_while_chunks_are_in_flight_ends_the_import(
        two_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    """The database write of the first chunk fails while the workers are still sending the
    next ones (large chunks, larger than a pipe holds): the import ends with that error, every
    time. It once hung for ever now and then: the pool was terminated while a worker was
    sending a result, and that worker held the result queue's lock."""
    _one, many = two_apps
    shipped = [r.data for r in importer.read_records(Path(many.config["HAVEN_DATA_DIR"]))]
    records = [importer.Record("test.json", i + 1, rec)
               for i, rec in enumerate(rec for k in range(1, 9) for rec in reid(shipped, k))]
    monkeypatch.setattr(parallel, "CHUNK", 120)

    def disk_full(self: Any, piece: Any) -> bool:
        raise OSError("disk full")

    monkeypatch.setattr(parallel._Writer, "write", disk_full)
    # Where the race was: the pool stops reading results, then waits for the result queue's
    # lock to post its own end. Here it takes its time there, as on a busy machine, so a
    # worker still sending a chunk would hold that lock for ever.
    put = multiprocessing.queues.SimpleQueue.put

    def slow_end(self: Any, obj: Any) -> None:
        if obj is None and multiprocessing.parent_process() is None:
            time.sleep(0.3)
        put(self, obj)

    monkeypatch.setattr(multiprocessing.queues.SimpleQueue, "put", slow_end)
    monkeypatch.setattr(parallel, "_work", _steady_work)
    with many.app_context():
        before = tables()
        def run(ended: list[BaseException]) -> None:
            try:
                with many.app_context():
                    parallel.run(records, many.config["HSDS_SCHEMA_DIR"], workers=2)
            except BaseException as exc:  # noqa: BLE001 - what ended it is the answer
                ended.append(exc)

        for _attempt in range(3):
            ended: list[BaseException] = []
            thread = threading.Thread(target=run, args=(ended,), daemon=True)
            thread.start()
            thread.join(timeout=20)
            assert not thread.is_alive(), "the import hung"
            assert [str(e) for e in ended] == ["disk full"]
        assert tables() == before


def _spoiled(app: Flask) -> list[importer.Record]:
    records = _records(app)
    base = len(records) // 2
    records[base].data["name"] = 5  # not a string
    records[base + 50].data["id"] = records[base + 3].data["id"]  # a duplicate
    records[base + 90].data.setdefault("attributes", []).append(
        {"id": str(uuid.uuid4()), "taxonomy_term_id": str(uuid.uuid4())})  # unknown term
    late = records[-1].data
    late.pop("organization", None)
    late["organization_id"] = str(uuid.uuid4())  # nobody carries it
    return records


def test_refuses_what_one_core_refuses_and_writes_nothing(
        two_apps: tuple[Flask, Flask]) -> None:
    one, many = two_apps
    records = _spoiled(one)
    expected = _one_core(one, records)
    assert isinstance(expected, list) and len(expected) >= 4
    with many.app_context():
        before = tables()
    got = _workers(many, copy.deepcopy(records))
    assert got == expected
    with many.app_context():
        assert tables() == before


def test_a_late_unknown_organisation_undoes_the_chunks_written(
        two_apps: tuple[Flask, Flask]) -> None:
    """Only the last record is wrong: the chunks before it were written, and are undone."""
    one, many = two_apps
    records = _records(one)
    late = records[-1].data
    late.pop("organization", None)
    nobody = str(uuid.uuid4())
    late["organization_id"] = nobody
    expected = _one_core(one, records)
    assert isinstance(expected, list) and len(expected) == 1
    assert f"unknown organization {nobody}" in expected[0]
    with many.app_context():
        before = tables()
    assert _workers(many, records) == expected
    with many.app_context():
        assert tables() == before


def test_dry_run_checks_everything_and_writes_nothing(two_apps: tuple[Flask, Flask]) -> None:
    _one, many = two_apps
    records = _records(many)
    with many.app_context():
        before = tables()
        done = parallel.run(records, many.config["HSDS_SCHEMA_DIR"], workers=2, dry_run=True)
        assert done.services == len(records)
        assert tables() == before


def test_cli_import_of_a_large_file_runs_on_workers(app: Flask, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    records = _records(app)
    path = tmp_path / "large.json"
    path.write_text(json.dumps([r.data for r in records], ensure_ascii=False), "utf-8")
    used: list[int] = []
    real = parallel.run

    def spy(*args: Any, **kw: Any) -> importer.Outcome:
        used.append(len(args[0]))
        return real(*args, **kw)

    monkeypatch.setattr(parallel, "FROM", 100)
    monkeypatch.setattr(parallel, "CHUNK", 50)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    monkeypatch.setattr(parallel, "run", spy)
    result = app.test_cli_runner().invoke(args=["services", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert used == [len(records)]
    assert f"Imported {len(records)} service(s)" in result.output
    new_name = records[-1].data["name"]
    with app.test_client() as client:
        page = client.get("/api/hsds/services", query_string={"q": new_name})
    assert records[-1].data["id"] in page.get_data(as_text=True)
