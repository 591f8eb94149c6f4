"""Incremental search: an edit, retirement or import reaches a running index as a
delta, never a full rebuild, and the index it leaves answers exactly as a fresh one."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tests.editor_helpers import save
from tests.search_vectors import ORACLE_EXTRAS, VECTORS
from webapp.editor import services, snapshot
from webapp.exchange import hsds, importer
from webapp.extensions import db
from webapp.models import SearchChange, SearchVocab, Service, StaffUser
from webapp.pwa import bundle
from webapp.search import changelog, indexer, memindex, search, search_sql, stored
from webapp.staff import auth

NOW = dt.datetime(2026, 11, 18, 18, 0, tzinfo=dt.UTC)


def editor(app: Flask) -> StaffUser:
    auth.create_user("incremental", "a-long-enough-password", "editor")
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "incremental"))
    assert user is not None
    return user


def a_service(name_part: str) -> Service:
    svc = db.session.scalar(select(Service).where(Service.name.contains(name_part),
                                                  Service.status == "active").limit(1))
    assert svc is not None, name_part
    return svc


def answers(cases: list[tuple[str, dict[str, str]]], engine: Any) -> list[Any]:
    out = []
    for q, params in cases:
        p = search.parse(MultiDict({"q": q, **params}))
        for home in ("", "US"):
            r = engine(p, home_country=home, now=NOW)
            out.append((q, params, home, r.ids, r.total, r.matched_categories))
    return out


def ids_for(q: str) -> list[str]:
    return search.search(search.Params(q=q, per_page=100), home_country="US").ids


def test_edits_reach_a_running_index_as_deltas(any_app: Flask,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Rename, new word, retire, re-categorise, create: each is searchable on the next query,
    no query rebuilds the index, and the index left behind answers every vector (and more)
    exactly as a fresh build and as the SQL engine over search_doc."""
    with any_app.test_request_context():
        user = editor(any_app)
        ids_for("shelter")  # the worker's index, built once
        builds: list[int] = []
        real_build = memindex.build
        monkeypatch.setattr(memindex, "build", lambda *a: builds.append(1) or real_build(*a))

        renamed = a_service("Youth Drop-In")
        sid = save(any_app, user, renamed, name="Harbourlight Zqxnew Refuge")
        assert ids_for("zqxnew")[:1] == [sid]
        assert ids_for("zqxneq")[:1] == [sid]  # the new word is in the typo vocabulary
        assert ids_for("harbourlight zqxnew refuge")[:1] == [sid]  # exact name

        save(any_app, user, db.session.get(Service, sid), name="Harbourlight Refuge")
        assert sid not in ids_for("zqxnew")
        assert "zqxnew" not in memindex.current().vocab.words  # gone when nothing has it

        legal = a_service("Legal Clinic")
        save(any_app, user, legal, categories="medical")
        assert legal.id in search.search(search.parse(MultiDict({"category": "medical",
                                                                  "per_page": "100"}))).ids
        assert legal.id not in search.search(search.parse(MultiDict(
            {"category": "legal-aid", "per_page": "100"}))).ids

        gone = a_service("Trauma Counselling")
        assert services.retire(gone.id, gone.revision, user).ok
        assert gone.id not in ids_for(gone.name)

        new = save(any_app, user, None, **{**snapshot.of(a_service("Health Clinic")),
                                           "name": "Quillwort Night Clinic"})
        assert ids_for("quillwort")[:1] == [new]
        assert builds == [], "a query waited for a full rebuild"

        cases = [(v["q"], v["params"]) for v in VECTORS] + ORACLE_EXTRAS + [
            ("refuge", {}), ("clinic", {"per_page": "100"}), ("", {"category": "medical",
                                                                   "per_page": "100"})]
        incremental = answers(cases, search.search)
        assert incremental == answers(cases, search_sql.search)
        monkeypatch.setattr(memindex, "_held", {})  # a worker that starts now
        assert answers(cases, search.search) == incremental


def test_the_vocabulary_table_is_counted_per_change(any_app: Flask) -> None:
    """The document frequencies an edit leaves equal a recount from scratch, and the change
    log says which words appeared and went."""
    with any_app.app_context():
        user = editor(any_app)
        svc = a_service("Youth Drop-In")
        save(any_app, user, svc, name=f"{svc.name} Brindlecove")
        change = db.session.scalars(select(SearchChange).order_by(SearchChange.seq.desc())
                                    ).first()
        assert change is not None
        assert json.loads(change.services) == [svc.id]
        assert "brindlecove" in json.loads(change.added)
        counted = dict(db.session.execute(select(SearchVocab.token, SearchVocab.df)).all())
        indexer.rebuild_vocab()
        assert dict(db.session.execute(select(SearchVocab.token, SearchVocab.df)).all()) \
            == counted
        db.session.rollback()


def test_a_worker_that_fell_behind_the_log_builds_afresh(app: Flask) -> None:
    """Changes are pruned eventually; a gap in the sequence means a full build, not a wrong
    index."""
    with app.test_request_context():
        user = editor(app)
        ids_for("shelter")
        seq = memindex.current().seq
        svc = a_service("Youth Drop-In")
        sid = save(app, user, svc, name="Ottervale House")
        db.session.execute(SearchChange.__table__.delete().where(SearchChange.seq == seq + 1))
        changelog.record_change([])  # a later change survives the pruning
        db.session.commit()
        assert changelog.changes_after(seq) is None
        assert ids_for("ottervale")[:1] == [sid]


def test_a_bulk_import_starts_a_new_epoch(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past BULK services a change recounts everything once and every worker rebuilds."""
    with app.app_context():
        epoch, seq = changelog.state()
        ids = list(db.session.scalars(select(Service.id)))
        indexer.reindex(ids[:1])
        db.session.commit()
        assert changelog.state() == (epoch, seq + 1)
        monkeypatch.setattr(indexer, "BULK", 1)
        indexer.reindex(ids[:5])
        db.session.commit()
        assert changelog.state()[0] != epoch
        assert int(db.session.scalar(select(func.count()).select_from(SearchChange)) or 0) == 0


def test_the_offline_bundle_rereads_only_what_changed(app: Flask,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """After an edit the Arabic bundle re-reads one service, and equals a bundle built from
    nothing."""
    client = app.test_client()
    assert client.get("/ar/offline/directory.json").status_code == 200
    read: list[str] = []
    real = bundle.read
    monkeypatch.setattr(bundle, "read", lambda tag, ids: read.extend(ids) or real(tag, ids))
    with app.app_context():
        user = editor(app)
        svc = a_service("Youth Drop-In")
        save(app, user, svc, **{snapshot.tr_key("ar", "name"): "ملجأ الزيزفون"})
        sid = svc.id
    resp = client.get("/ar/offline/directory.json")
    assert read == [sid]
    body = json.loads(gzip.decompress(resp.data) if resp.headers.get("Content-Encoding")
                      == "gzip" else resp.data)
    assert any(rec[0] == sid and rec[1] == "ملجأ الزيزفون" for rec in body["s"])
    monkeypatch.setattr(bundle, "_records", {})
    with app.test_request_context():
        assert bundle.build("ar", "US") == body


def test_renames_crowding_one_gap_keep_the_order(app: Flask,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Renamed services take a place between their neighbours; when 25 renames crowd one gap
    the index numbers the order afresh, and the order still equals the SQL engine's."""
    with app.test_request_context():
        user = editor(app)
        ids_for("shelter")
        renumbered: list[int] = []
        real = memindex._ties
        monkeypatch.setattr(memindex, "_ties", lambda idx: renumbered.append(1) or real(idx))
        victims = db.session.scalars(select(Service.id).where(
            Service.status == "active", Service.rank_hint == 0).order_by(Service.id)
            .limit(25)).all()
        for n, sid in enumerate(victims, 1):
            save(app, user, db.session.get(Service, sid), name="Zzyzx " + "1" * n)
            ids_for("zzyzx")
        assert renumbered, "the crowded gap was never numbered afresh"
        for page in ("1", "2"):
            p = search.parse(MultiDict({"per_page": "100", "page": page}))
            assert search.search(p, now=NOW).ids == search_sql.search(p, now=NOW).ids


def test_a_worker_loads_the_stored_index_and_applies_what_changed_since(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index file an import leaves is loaded instead of a build; changes made after it
    are applied on top; a tampered file or one from another epoch is never used."""
    cases = [(v["q"], v["params"]) for v in VECTORS] + ORACLE_EXTRAS
    with app.test_request_context():
        user = editor(app)
        fresh = memindex.persist()
        path = stored.path_for()
        assert path is not None and path.exists()
        expected = answers(cases, search.search)

        builds: list[int] = []
        real_build = memindex.build
        monkeypatch.setattr(memindex, "build",
                            lambda *a: builds.append(1) or real_build(*a))  # type: ignore[func-returns-value]
        monkeypatch.setattr(memindex, "_held", {})  # a worker that starts now
        assert answers(cases, search.search) == expected
        assert builds == [] and memindex.current().seq == fresh.seq

        renamed = save(app, user, a_service("Youth Drop-In"), name="Marshwillow Youth Drop-In")
        monkeypatch.setattr(memindex, "_held", {})  # starts after the edit: file + the log
        assert ids_for("marshwillow")[:1] == [renamed]
        assert builds == []
        assert answers(cases, search.search) == answers(cases, search_sql.search)

        raw = path.read_bytes()
        at = raw.index(b"Drop-In")
        path.write_bytes(raw[:at] + b"Drip-In" + raw[at + 7:])  # still a valid pickle
        monkeypatch.setattr(memindex, "_held", {})
        assert ids_for("marshwillow")[:1] == [renamed]
        assert builds == [1], "a tampered index file was used"

        path.write_bytes(raw)
        changelog.new_epoch()  # as a bulk import does
        db.session.commit()
        monkeypatch.setattr(memindex, "_held", {})
        assert ids_for("marshwillow")[:1] == [renamed]
        assert builds == [1, 1], "an index from another epoch was used"


def test_an_edit_keeps_the_places_the_form_does_not_show(app: Flask) -> None:
    """The editor shows a listing's first place; saving keeps the others, and the words of
    every place stay searchable (the editor hands the import rows a place it did not read)."""
    with app.test_request_context():
        user = editor(app)
        svc = a_service("Youth Drop-In")
        rec = hsds.service_json(svc)
        second = copy.deepcopy(rec["service_at_locations"][0])
        second["id"] = str(uuid.uuid4())
        second["location"]["id"] = second["location_id"] = str(uuid.uuid4())
        for addr in second["location"].get("addresses") or []:
            addr["id"] = str(uuid.uuid4())
            addr["city"] = "Quillcreek"
        second["location"]["haven_area"] = {**(second["location"].get("haven_area") or {}),
                                            "city": "Quillcreek"}
        rec["service_at_locations"].append(second)
        importer.commit_rows(importer.build_rows([importer.Record("test", 1, rec)],
                                                 app.config["HSDS_SCHEMA_DIR"]))
        assert svc.id in ids_for("quillcreek")
        renamed = save(app, user, db.session.get(Service, svc.id),
                       name="Brackenfold Youth Drop-In")
        assert len(db.session.get(Service, renamed).locations) == 2
        assert ids_for("brackenfold")[:1] == [svc.id]
        assert svc.id in ids_for("quillcreek")
