"""Mirroring another HSDS API: modified_after on or after, include_inactive, and
`flask services sync` against a second Haven served on loopback (upstream's examples plus
5,000 generated services): a first pull mirrors it, a second applies exactly upstream's
edits, additions and closure, keeps a local edit and flags the conflict; an interrupted
pull, rerun, ends where an unbroken one does."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from bench.gen_services import generate
from tests.conftest import Templates, base_config, in_background, whole_bodies
from tests.editor_helpers import edit_listing, editors
from tests.reference import HSDS_30
from tests.staff_helpers import csrf, sign_in
from webapp import clock, create_app
from webapp.exchange import hsds, importer, sync
from webapp.exchange.sources import Record
from webapp.extensions import db
from webapp.models import Service, SyncCursor, SyncOrigin
from webapp.search import search

API = "/api/hsds"
GENERATED = 5000
OLD = "2026-01-01T00:00:00Z"  # the generated services' last change: long before any pull
SUMMARY = re.compile(r"Synced (\S+): (\d+) added, (\d+) updated, (\d+) retired, "
                     r"(\d+) conflicts, (\d+) unchanged \((\d+) pages\)\.")


def import_docs(app: Flask, docs: list[dict[str, Any]]) -> None:
    """Write services through the importer (validated), as an upstream directory would."""
    with app.app_context():
        importer.import_records([Record("test", i, d) for i, d in enumerate(docs, 1)],
                                app.config["HSDS_SCHEMA_DIR"])


def api_doc(app: Flask, sid: str) -> dict[str, Any]:
    """A service as the app's API gives it, without the live shelter-space extension."""
    resp = app.test_client().get(f"{API}/services/{sid}")
    assert resp.status_code == 200, sid
    doc: dict[str, Any] = resp.json  # type: ignore[assignment]
    doc.pop("haven_space", None)
    return doc


def every_id(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Service.id)))


def counts(output: str) -> dict[str, int]:
    m = SUMMARY.search(output)
    assert m, output
    names = ("added", "updated", "retired", "conflicts", "unchanged", "pages")
    return dict(zip(names, map(int, m.groups()[1:]), strict=True))


@dataclass
class Upstream:
    """A second Haven on loopback: its app, its API's base URL, the generated services'
    ids, and whether a test has changed it since the first pull (see first_pull)."""

    app: Flask
    url: str
    generated: list[str]
    changed: bool = False


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve app on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, whole_bodies(app), threaded=True)
    thread = in_background(server)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def seeded_app(templates: Templates) -> Iterator[Flask]:
    """An app on a fresh copy of the seeded database, discarded after."""
    url = templates.sqlite_url()
    app = create_app(base_config(url))
    yield app
    with app.app_context():
        db.engine.dispose()
    templates.discard(url)


@pytest.fixture(scope="module")
def upstream(templates: Templates) -> Iterator[Upstream]:
    """The seeded directory plus upstream's service_full example and 5,000 generated
    services, served over HTTP."""
    docs = generate(GENERATED, seed=11)
    for doc in docs:
        doc["last_modified"] = OLD
    example = json.loads((HSDS_30 / "examples" / "service_full.json").read_text("utf-8"))
    with seeded_app(templates) as app:
        import_docs(app, [example, *docs])
        with serve(app) as base:
            yield Upstream(app, f"{base}{API}", [d["id"].lower() for d in docs])


@dataclass
class FirstPull:
    """A seeded directory after one unbroken pull of the unchanged upstream: its database
    file (each test works on a copy), the command's output, the ids it had before."""

    path: Path
    output: str
    before: set[str]


@pytest.fixture(scope="module")
def first_pull(upstream: Upstream, templates: Templates,
               tmp_path_factory: pytest.TempPathFactory) -> FirstPull:
    """One full pull, made once for the module (it is the slow part)."""
    assert not upstream.changed
    with seeded_app(templates) as app:
        before = every_id(app)
        res = run_sync(app, upstream.url)
        assert res.exit_code == 0, res.output
        path = tmp_path_factory.mktemp("mirror") / "mirror.sqlite3"
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
            shutil.copy(db.engine.url.database or "", path)
    return FirstPull(path, res.output, before)


@contextmanager
def copy_of(first: FirstPull, templates: Templates) -> Iterator[Flask]:
    """An app on a copy of the first pull's mirror, discarded after."""
    target = templates.base / f"{uuid.uuid4().hex}.sqlite3"
    shutil.copy(first.path, target)
    app = create_app(base_config(f"sqlite:///{target}"))
    yield app
    with app.app_context():
        db.engine.dispose()
    target.unlink()


def run_sync(app: Flask, url: str, *more: str) -> Any:
    return app.test_cli_runner().invoke(args=["services", "sync", url, *more])


def changed(app: Flask, sid: str, **fields: Any) -> dict[str, Any]:
    """Upstream's service with these fields changed, modified now."""
    doc = api_doc(app, sid)
    doc.update(fields, last_modified=hsds.stamp(clock.now()))
    return doc


# --- the API a mirror reads ---------------------------------------------------------------

def test_modified_after_is_on_or_after(app: Flask, client: FlaskClient) -> None:
    """A service modified exactly at the time asked for is listed (HSDS: "on or after"),
    whatever zone the time is written in; a second later it is not."""
    sid = client.get(f"{API}/service_at_locations?per_page=1").json["contents"][0]["service_id"]
    import_docs(app, [{**api_doc(app, sid), "last_modified": "2031-05-06T07:08:09Z"}])
    for url in (f"{API}/services", f"{API}/service_at_locations"):
        for when, found in (("2031-05-06T07:08:09Z", True), ("2031-05-06T09:08:09+02:00", True),
                            ("2031-05-06", True), ("2031-05-06T07:08:10Z", False)):
            page = client.get(f"{url}?modified_after={quote(when)}").json
            ids = {i.get("service_id", i["id"]) for i in page["contents"]}
            assert (sid in ids) is found, (url, when)
            assert page["total_items"] == (1 if found else 0) or "service_at" in url


def test_include_inactive_lists_closed_services_with_their_status(
        app: Flask, client: FlaskClient) -> None:
    """A retired service is left out of lists, as before; include_inactive=true lists it
    after the others, with its status, on /services (full and minimal) and
    /service_at_locations. It combines with modified_after and the id filters only."""
    listed = client.get(f"{API}/services?per_page=100").json
    sid = client.get(f"{API}/service_at_locations?per_page=1").json["contents"][0]["service_id"]
    import_docs(app, [{**api_doc(app, sid), "status": "inactive", "last_modified": OLD}])
    plain = client.get(f"{API}/services?per_page=100").json
    assert plain["total_items"] == listed["total_items"] - 1
    assert sid not in {s["id"] for s in plain["contents"]}
    with app.app_context():
        closed = {s for s in db.session.scalars(
            select(Service.id).where(Service.status.not_in(search.VISIBLE_STATUSES)))}
    assert sid in closed
    both = client.get(f"{API}/services?per_page=100&include_inactive=true&page=1").json
    assert both["total_items"] == plain["total_items"] + len(closed)
    last = client.get(f"{API}/services?per_page=100&include_inactive=true"
                      f"&page={both['total_pages']}").json["contents"]
    assert {s["id"]: s["status"] for s in last}[sid] == "inactive"
    minimal = client.get(f"{API}/services?minimal=true&include_inactive=1&modified_after="
                         + quote(OLD)).json["contents"]
    assert {s["id"]: s["status"] for s in minimal}.get(sid) == "inactive"
    sal_pages = client.get(f"{API}/service_at_locations?include_inactive=true&per_page=100"
                           ).json["total_pages"]
    everything = [s["service_id"] for p in range(1, sal_pages + 1) for s in
                  client.get(f"{API}/service_at_locations?include_inactive=true&per_page=100"
                             f"&page={p}").json["contents"]]
    assert sid in everything
    refused = client.get(f"{API}/services?include_inactive=true&search=shelter")
    assert refused.status_code == 400 and refused.json["parameter"] == "include_inactive"
    doc = client.get(f"{API}/openapi.json").json
    assert doc["components"]["parameters"]["include_inactive"]["schema"] == {"type": "boolean"}
    for path in ("/services", "/service_at_locations"):
        assert {"$ref": "#/components/parameters/include_inactive"} in (
            doc["paths"][path]["get"]["parameters"])


# --- services sync ----------------------------------------------------------------------

def test_an_interrupted_sync_rerun_ends_as_an_unbroken_one(
        upstream: Upstream, first_pull: FirstPull, templates: Templates,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The network drops on page 3; then the database write of page 3 fails half-way. Each
    time the page is not written at all, and the rerun goes on from it: every row of the
    mirror is that of a mirror whose pull was never interrupted."""
    fetch, write = sync.fetch_json, importer.write_rows
    calls = {"fetch": 0}

    def dropping(url: str) -> Any:
        calls["fetch"] += 1
        if calls["fetch"] == 3:
            raise sync.SyncError(f"{url}: could not be fetched (connection reset)")
        return fetch(url)

    def failing(rows: Any, **kw: Any) -> int:
        write(rows, **kw)
        raise RuntimeError("disk full")  # after the page's rows went to the database

    with seeded_app(templates) as broken:
        def stored() -> tuple[int, int, int]:
            with broken.app_context():
                cursor = db.session.get(SyncCursor, upstream.url)
                return (cursor.next_page if cursor else 0,
                        db.session.scalar(select(func.count()).select_from(SyncOrigin)) or 0,
                        db.session.scalar(select(func.count()).select_from(Service)) or 0)

        monkeypatch.setattr(sync, "fetch_json", dropping)
        res = run_sync(broken, upstream.url)
        assert res.exit_code == 1 and "connection reset" in res.output
        after_two = stored()
        assert after_two[0] == 3 and after_two[1] == 2 * sync.PER_PAGE
        monkeypatch.setattr(sync, "fetch_json", fetch)
        monkeypatch.setattr(importer, "write_rows", failing)
        res = run_sync(broken, upstream.url)
        assert isinstance(res.exception, RuntimeError)
        assert stored() == after_two  # nothing of page 3
        monkeypatch.setattr(importer, "write_rows", write)
        res = run_sync(broken, upstream.url)
        assert res.exit_code == 0, res.output
        assert "Went on from page 3" in res.output
        # An unbroken pull of the same upstream: the module's first one, unless a test
        # changed upstream since (then a new one).
        unbroken = seeded_app(templates) if upstream.changed else copy_of(first_pull, templates)
        with unbroken as mirror:
            if upstream.changed:
                assert run_sync(mirror, upstream.url).exit_code == 0
            assert state(broken) == state(mirror)


# Every table a pull writes, but the search data derived from them.
MIRRORED = ("organization", "taxonomy", "taxonomy_term", "service", "location",
            "service_at_location", "phone", "schedule", "language", "service_translation",
            "service_term")


def state(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the directory (streets and revisions included: more than an export
    shows), and what is kept per mirrored service but the time it was fetched."""
    with app.app_context():
        out = {name: sorted((tuple(r) for r in db.session.execute(
            select(db.metadata.tables[name]))), key=repr) for name in MIRRORED}
        out["sync_origin"] = [tuple(r) for r in db.session.execute(select(
            SyncOrigin.service_id, SyncOrigin.source, SyncOrigin.upstream_modified,
            SyncOrigin.upstream_hash, SyncOrigin.upstream_fields, SyncOrigin.local_fields,
            SyncOrigin.conflicts).order_by(SyncOrigin.service_id))]
        return out


def test_sync_mirrors_applies_changes_retires_and_flags_a_conflict(
        upstream: Upstream, first_pull: FirstPull, templates: Templates) -> None:
    """A first pull mirrors upstream; after upstream edits 3, adds 2, retires 1 and changes
    two fields of a listing whose name an editor here changed, a second pull applies
    exactly that: the closed one leaves search, the local name stays and the conflict is in
    the verification queue with upstream's name, upstream's other change applied."""
    with copy_of(first_pull, templates) as app:
        mirrored_then_changed(app, upstream, first_pull)


def mirrored_then_changed(app: Flask, upstream: Upstream, first: FirstPull) -> None:
    """The body of the test above, on a copy of the first pull's mirror."""
    ups = upstream.app
    before = first.before
    up_ids = every_id(ups)
    assert counts(first.output) == {
        "added": len(up_ids - before), "updated": 0, "retired": 0, "conflicts": 0,
        "unchanged": len(up_ids & before), "pages": -(-len(up_ids) // sync.PER_PAGE)}
    assert every_id(app) == before | up_ids
    example = "ac148810-d857-441c-9679-408f346de14b"
    for sid in [example, *upstream.generated[:3], *upstream.generated[-2:]]:
        assert api_doc(app, sid) == api_doc(ups, sid), sid
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SyncOrigin)) == len(up_ids)
        origin = db.session.get(SyncOrigin, example)
        assert origin is not None and origin.source == upstream.url and origin.fetched_at
        mark = db.session.get(SyncCursor, upstream.url).mark  # type: ignore[union-attr]
        assert mark is not None

    # An editor here renames one listing; upstream then renames it too and changes its
    # description.
    people = editors(app)
    staff = app.test_client()
    sign_in(staff, people["editor"])
    e1, e2, e3, gone, both = upstream.generated[10:15]
    assert edit_listing(staff, both, name="Renamed here").status_code == 302
    new_ones = generate(GENERATED + 2, seed=11)[GENERATED:]  # ids of their own throughout
    for doc in new_ones:
        doc["last_modified"] = hsds.stamp(clock.now())
    phones = api_doc(ups, e2)["phones"]
    phones[0]["number"] = "+1 559 555 0199"
    gone_name = api_doc(ups, gone)["name"]
    upstream.changed = True
    import_docs(ups, [
        changed(ups, e1, description="Now open on Saturdays too."),
        changed(ups, e2, phones=phones),
        changed(ups, e3, name="Edited upstream"),
        changed(ups, gone, status="inactive"),
        changed(ups, both, name="Renamed upstream", description="Moved to the new centre."),
        *new_ones])
    with ups.app_context():
        again = db.session.scalar(select(func.count()).select_from(Service).where(
            Service.last_modified >= mark)) - 7

    second = run_sync(app, upstream.url)
    assert second.exit_code == 0, second.output
    assert counts(second.output) == {"added": 2, "updated": 3, "retired": 1, "conflicts": 1,
                                     "unchanged": again, "pages": 1}
    assert f"conflict: {both}" in second.output and "kept the local name" in second.output
    for sid in (e1, e2, e3, gone, *(d["id"] for d in new_ones)):
        assert api_doc(app, sid) == api_doc(ups, sid), sid
    kept = api_doc(app, both)
    assert kept["name"] == "Renamed here"
    assert kept["description"] == "Moved to the new centre."
    with app.app_context():
        assert db.session.get(Service, gone).status == "inactive"  # type: ignore[union-attr]
        assert gone not in search.search(search.Params(q=gone_name), home_country="US").ids
    assert gone not in {s["id"] for s in app.test_client().get(
        f"{API}/services?per_page=100&search={quote(gone_name)}").json["contents"]}
    offline = app.test_client().get("/en/offline/directory.json").get_data(as_text=True)
    assert e1 in offline and gone not in offline

    queue = staff.get("/staff/directory/verify").get_data(as_text=True)
    first_row = re.findall(r'/staff/directory/([0-9a-f-]{36})/verify', queue)[0]
    assert first_row == both
    assert "Source:" in queue
    # The card names the field as the editor does and shows the value kept here beside the
    # source's, in that order.
    fields = re.findall(r'<section class="sync-field">\s*<h3>(.*?)</h3>.*?<dd[^>]*><bdi>(.*?)'
                        r'</bdi></dd>.*?<dd[^>]*><bdi>(.*?)</bdi></dd>', queue, re.S)
    assert fields == [("Name", "Renamed here", "Renamed upstream")]
    page = staff.get(f"/staff/directory/{both}").get_data(as_text=True)
    assert upstream.url in page and "Renamed upstream" in page

    # Nothing new upstream: nothing changes, the conflict stays until a person decides.
    third = run_sync(app, upstream.url)
    assert counts(third.output)["conflicts"] == 0 and api_doc(app, both)["name"] == "Renamed here"
    token = csrf(staff, "/staff/directory/verify")
    with app.app_context():
        revision = db.session.get(Service, both).revision  # type: ignore[union-attr]
    staff.post(f"/staff/directory/{both}/verify",
               data={"csrf_token": token, "revision": revision, "next": "queue"})
    assert both not in staff.get("/staff/directory/verify").get_data(as_text=True)


def test_a_bad_source_is_refused_and_nothing_is_written(app: Flask) -> None:
    """Not an http(s) URL, nothing listening, an HTML page, JSON that is not an HSDS page:
    exit status 1, a message naming the problem, no row written. A page with one invalid
    service writes the valid ones and names the invalid one (exit status 1). Without a URL,
    every source in HAVEN_SYNC_SOURCES is pulled, one failing or not."""
    good = api_doc(app, app.test_client().get(f"{API}/services?per_page=1").json[
        "contents"][0]["id"])
    good.update(id=str(uuid.uuid4()), name="Only upstream")
    for sal in good.get("service_at_locations") or []:
        sal["service_id"] = good["id"]
    answers = {
        "/html/services": ("text/html", "<!doctype html><p>Hello</p>"),
        "/json/services": ("application/json", json.dumps({"hello": "world"})),
        "/mixed/services": ("application/json", json.dumps(exchange_page(
            [good, {"id": str(uuid.uuid4()), "name": 5, "status": "active"}]))),
    }

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        kind, body = answers[environ["PATH_INFO"]]
        start_response("200 OK", [("Content-Type", kind)])
        return [body.encode()]

    with serve(wsgi) as base:
        for url, words in (("ftp://example.org/api", "not an http(s) URL"),
                           ("http://127.0.0.1:9/api/hsds", "could not be fetched"),
                           (f"{base}/html", "not JSON"),
                           (f"{base}/json", "not an HSDS page")):
            res = run_sync(app, url)
            assert res.exit_code == 1 and words in res.output, (url, res.output)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(SyncOrigin)) == 0
            assert db.session.scalar(select(func.count()).select_from(SyncCursor)) == 0
        nothing = app.test_cli_runner().invoke(args=["services", "sync"])
        assert nothing.exit_code == 1 and "HAVEN_SYNC_SOURCES" in nothing.output
        # No URL: each of HAVEN_SYNC_SOURCES, the good one pulled despite the bad one.
        app.config["HAVEN_SYNC_SOURCES"] = [f"{base}/json", f"{base}/mixed"]
        res = app.test_cli_runner().invoke(args=["services", "sync"])
    assert res.exit_code == 1 and "not an HSDS page" in res.output
    assert f"Synced {base}/mixed: 1 added" in res.output and "record 2 (id" in res.output
    assert api_doc(app, good["id"])["name"] == "Only upstream"


def exchange_page(contents: list[dict[str, Any]]) -> dict[str, Any]:
    """One HSDS page holding contents."""
    return {"total_items": len(contents), "total_pages": 1, "page_number": 1,
            "size": len(contents), "first_page": True, "last_page": True, "empty": False,
            "contents": contents}
