"""Offline by area: the directory cut into areas a phone can keep, each area's file, and the
changes a phone that holds one is sent. What a phone holds after applying the changes is
what a fresh download would give it, and nothing confidential is in any of it."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.editor_helpers import save
from tests.sentinel import LEAKS, SERVICE_ID, sentinel_service
from webapp.editor import services, snapshot
from webapp.extensions import db
from webapp.models import SearchChange, Service, StaffUser
from webapp.pwa import areas, contract, partition
from webapp.search import changelog, stored
from webapp.staff import auth

ID = contract.POSITION["id"]
TIE = contract.POSITION["tie"]
NAME = contract.POSITION["name"]
TOKENS = contract.POSITION["tokens"]
SMALL = 20  # services in an area at most, in these tests: the seeded 76 Californian ones split


@pytest.fixture
def small_areas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partition, "MOST", SMALL)
    monkeypatch.setattr(areas, "_held", {})


def get_json(app: Flask, url: str, **headers: str) -> Any:
    resp = app.test_client().get(url, headers=headers)
    assert resp.status_code == 200, (url, resp.status_code)
    return resp.json


def held(file: dict[str, Any]) -> dict[str, list[Any]]:
    """An area file as a phone keeps it: records by id, tokens as (token, class) pairs; the
    tie order (which the whole bundle gives by position) is checked, then left out."""
    ties = [r[TIE] for r in file["s"]]
    if "area" in file:  # the whole bundle has none: its array is in that order
        assert ties == sorted(ties)
    out = {}
    for r in file["s"]:
        r = list(r)
        r[TIE] = None
        t = r[TOKENS]
        r[TOKENS] = sorted((file["tok"][t[i]], t[i + 1]) for i in range(0, len(t), 2))
        out[r[ID]] = r
    return out


def applied(kept: dict[str, list[Any]], change: dict[str, Any]) -> dict[str, list[Any]]:
    """What a phone holds after one answer to ?since=: a delta applied, or a whole file."""
    if "s" in change:
        return held(change)
    out = {k: v for k, v in kept.items() if k not in change["removed"]}
    for r in change["changed"]:
        r = list(r)
        r[TIE] = None
        t = r[TOKENS]
        r[TOKENS] = sorted((t[i], t[i + 1]) for i in range(0, len(t), 2))
        out[r[ID]] = r
    return out


def area_of(index: dict[str, Any], town: str) -> str:
    (found,) = index["towns"][town]
    return str(found)


def editor_user() -> StaffUser:
    auth.create_user("areas-editor", "a-long-enough-password", "editor")
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "areas-editor"))
    assert user is not None
    return user


def in_area(app: Flask, area: str) -> list[str]:
    file = get_json(app, f"/en/offline/areas/{area}.json")
    return [r[ID] for r in file["s"]]


def test_every_listing_is_in_one_area_and_its_file_says_what_the_bundle_says(
        app: Flask, small_areas: None) -> None:
    """The areas cover the directory once: every listing of the offline bundle is in exactly
    one area's file, with the same record, and no area is bigger than the limit."""
    whole = get_json(app, "/ar/offline/directory.json")
    index = get_json(app, "/ar/offline/areas.json")
    seen: Counter[str] = Counter()
    from_areas: dict[str, list[Any]] = {}
    for area in index["areas"]:
        assert area["services"] <= SMALL, area
        file = get_json(app, f"/ar/offline/areas/{area['id']}.json")
        assert file["area"] == area["id"] and file["v"] == index["v"]
        assert file["contract"] == whole["contract"]
        assert len(file["s"]) == area["services"]
        kept = held(file)
        seen.update(kept.keys())
        from_areas.update(kept)
    assert set(seen) == {r[ID] for r in whole["s"]}
    assert max(seen.values()) == 1
    assert from_areas == held(whole)  # the same record, tokens and all
    assert sum(a["services"] for a in index["areas"]) == len(whole["s"])
    # The Californian listings (76 > 20) are split by a grid: Fresno, Los Angeles and San
    # Diego are not one area, and each is in one.
    towns = {t: area_of(index, t) for t in ("fresno", "los angeles", "san diego")}
    assert len(set(towns.values())) == 3, towns
    # Names in the reader's language, boxes from public points.
    us = next(a for a in index["areas"] if a["id"] == towns["fresno"])
    assert us["country_name"] == "الولايات المتحدة" and us["region"] == "CA"
    assert index["sep"] == "، "  # the reader's comma, for area names before any area is kept
    assert us["box"][0] <= 36.74 <= us["box"][2] and us["box"][1] <= -119.78 <= us["box"][3]


def test_a_phone_applying_the_changes_holds_what_a_fresh_download_gives(
        app: Flask, small_areas: None) -> None:
    """Edit, add and retire in Fresno's area: Fresno's phone is sent those records and ids
    only, and then holds exactly a fresh copy; Los Angeles's phone is sent a few bytes and
    revalidates its file with a 304."""
    index = get_json(app, "/en/offline/areas.json")
    fresno, la = area_of(index, "fresno"), area_of(index, "los angeles")
    client = app.test_client()
    first = client.get(f"/en/offline/areas/{fresno}.json")
    la_file = client.get(f"/en/offline/areas/{la}.json")
    phone, version = held(first.json), first.json["v"]
    with app.test_request_context():
        user = editor_user()
        ids = in_area(app, fresno)
        edited, retired = ids[0], ids[1]
        save(app, user, db.session.get(Service, edited), name="Quillwort Fresno Refuge")
        gone = db.session.get(Service, retired)
        assert gone is not None
        assert services.retire(gone.id, gone.revision, user).ok
        added = save(app, user, None, **{**snapshot.of(db.session.get(Service, ids[2])),
                                         "name": "Ottervale Night Clinic"})
        db.session.commit()

    change = get_json(app, f"/en/offline/areas/{fresno}.json?since={version}")
    assert "s" not in change  # a delta, not the file
    assert {r[ID] for r in change["changed"]} == {edited, added}
    assert retired in change["removed"]
    assert {r[NAME] for r in change["changed"]} == {"Quillwort Fresno Refuge",
                                                    "Ottervale Night Clinic"}
    now = applied(phone, change)
    assert now == held(get_json(app, f"/en/offline/areas/{fresno}.json"))
    assert retired not in now and added in now

    elsewhere = client.get(f"/en/offline/areas/{la}.json?since={version}")
    assert elsewhere.json["changed"] == [] and set(elsewhere.json["removed"]) <= {retired}
    assert len(elsewhere.data) <= 5000
    again = client.get(f"/en/offline/areas/{la}.json",
                       headers={"If-None-Match": la_file.headers["ETag"]})
    assert again.status_code == 304  # its file did not change: nothing is sent again
    fresh = client.get(f"/en/offline/areas/{fresno}.json",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200 and fresh.json["v"] != version


def test_after_a_new_epoch_or_a_gap_the_whole_area_is_sent(app: Flask,
                                                           small_areas: None) -> None:
    """A version the change log cannot bring up to date, or one that is not a version, is
    answered with the whole file (never a 500); an unknown area is a 404."""
    index = get_json(app, "/en/offline/areas.json")
    fresno = area_of(index, "fresno")
    version = index["v"]
    epoch, _, seq = version.partition(":")
    for since in ("x", f"{epoch}:-1", f"{epoch}:١", f"{epoch}:{int(seq) + 5}", f"other:{seq}",
                  ":", "%00"):
        whole = get_json(app, f"/en/offline/areas/{fresno}.json?since={since}")
        assert "s" in whole and whole["v"] == version, since
    with app.test_request_context():
        user = editor_user()
        svc = db.session.get(Service, in_area(app, fresno)[0])
        save(app, user, svc, name="Ottervale House")
        save(app, user, db.session.get(Service, svc.id), name="Ottervale Hall")
        # The log lost the first of the two changes (pruned): a gap.
        db.session.execute(SearchChange.__table__.delete()
                           .where(SearchChange.seq == int(seq) + 1))
        db.session.commit()
    whole = get_json(app, f"/en/offline/areas/{fresno}.json?since={version}")
    assert "s" in whole and "Ottervale Hall" in {r[NAME] for r in whole["s"]}
    with app.app_context():
        changelog.new_epoch()
        db.session.commit()
    whole = get_json(app, f"/en/offline/areas/{fresno}.json?since={whole['v']}")
    assert "s" in whole and not whole["v"].startswith(epoch)
    client = app.test_client()
    assert client.get("/en/offline/areas/zz-nowhere.json").status_code == 404
    assert client.get("/en/offline/areas/..%2Fetc.json").status_code == 404
    assert client.get("/en/offline/areas/US-CA.json").status_code == 404


def test_no_confidential_street_in_any_area_file_or_change(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    """The sentinel shelter's street, postcode, directions and exact point are in no area
    file, area index or change; the shelter itself is there, by its town."""
    index = get_json(app, "/en/offline/areas.json")
    src = tmp_path / "s.json"
    src.write_text(json.dumps(sentinel_service()))
    result = runner.invoke(args=["services", "import", str(src)])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    bodies = [client.get(f"/{lang}/offline/areas.json").get_data(as_text=True)
              for lang in ("en", "ar")]
    for area in get_json(app, "/en/offline/areas.json")["areas"]:
        for lang in ("en", "ar"):
            bodies.append(client.get(f"/{lang}/offline/areas/{area['id']}.json")
                          .get_data(as_text=True))
            bodies.append(client.get(f"/{lang}/offline/areas/{area['id']}.json"
                                     f"?since={index['v']}").get_data(as_text=True))
    assert any(SERVICE_ID in b for b in bodies)
    for body in bodies:
        for leak in LEAKS:
            assert leak not in body, leak


places = st.builds(
    partition.Place,
    country=st.sampled_from(["US", "GB", ""]),
    region=st.sampled_from(["", "CA", "Oregon", "القاهرة", " "]),
    town=st.just(""),
    point=st.one_of(st.none(), st.tuples(st.floats(30, 31, allow_nan=False),
                                         st.floats(-120, -119, allow_nan=False))))


@given(st.dictionaries(st.uuids().map(str), places, max_size=300),
       st.integers(min_value=5, max_value=60))
def test_every_area_fits_and_each_service_is_placed_as_its_partition_says(
        where: dict[str, partition.Place], most: int) -> None:
    """However places fall (one dense region, no points, names in any script), no area
    holds more than `most` services, every service has one, and a region that fits is one
    area."""
    parts = partition.partition(where, most)
    assert set(parts.area_of) == set(where)
    sizes = Counter(parts.area_of.values())
    assert max(sizes.values(), default=0) <= most
    for sid, place in where.items():
        assert parts.assign(sid, place) == parts.area_of[sid]
        assert partition.AREA_ID.match(parts.area_of[sid]), parts.area_of[sid]
    regions = Counter(partition.region_key(p) for p in where.values())
    for sid, place in where.items():
        if regions[partition.region_key(place)] <= most:
            assert parts.area_of[sid] == partition.region_key(place)


def test_area_files_held_in_memory_stay_under_the_budget(app: Flask, small_areas: None) -> None:
    """With no memory for area files (HAVEN_AREA_CACHE_MB=0) a worker keeps only the last
    one made; an area asked again is made again with the same bytes and ETag, gzip or not,
    and the area list still gives the exact size of every file made (not an estimate)."""
    from webapp.pwa import routes

    app.config["HAVEN_AREA_CACHE_MB"] = 0
    routes._area_files.clear()
    routes._area_sizes.clear()
    client = app.test_client()
    ids = [a["id"] for a in get_json(app, "/ar/offline/areas.json")["areas"]][:3]
    first = {}
    for area in ids:
        resp = client.get(f"/ar/offline/areas/{area}.json", headers={"Accept-Encoding": "gzip"})
        first[area] = (resp.headers["ETag"], resp.data)
        assert len(routes._area_files) == 1  # the others were let go
    for area in ids:
        zipped = client.get(f"/ar/offline/areas/{area}.json",
                            headers={"Accept-Encoding": "gzip"})
        assert (zipped.headers["ETag"], zipped.data) == first[area]
        plain = client.get(f"/ar/offline/areas/{area}.json")
        assert plain.headers.get("Content-Encoding") is None
        assert plain.json == json.loads(gzip.decompress(first[area][1]))
    listed = {a["id"]: a for a in get_json(app, "/ar/offline/areas.json")["areas"]}
    for area in ids:
        assert listed[area]["bytes"] == len(first[area][1]) and not listed[area]["estimated"]


def test_a_shelter_reporting_space_reaches_phones_as_a_change_of_its_area(
        app: Flask, small_areas: None) -> None:
    """A shelter that reports itself full: the phones keeping its area get that one record
    with the new space (and then hold a fresh copy); phones keeping another area get nothing
    to change."""
    from webapp.space import services as space

    index = get_json(app, "/en/offline/areas.json")
    fresno, la = area_of(index, "fresno"), area_of(index, "los angeles")
    first = get_json(app, f"/en/offline/areas/{fresno}.json")
    phone, version = held(first), first["v"]
    shelter = in_area(app, fresno)[0]
    with app.app_context():
        space.set_space(shelter, "full", ["women"])
    change = get_json(app, f"/en/offline/areas/{fresno}.json?since={version}")
    assert [r[ID] for r in change["changed"]] == [shelter] and change["removed"] == []
    told = change["changed"][0][contract.POSITION["space"]]
    assert told[contract.PARTS["space"].index("status")] == "full"
    assert applied(phone, change) == held(get_json(app, f"/en/offline/areas/{fresno}.json"))
    other = get_json(app, f"/en/offline/areas/{la}.json?since={version}")
    assert other["changed"] == [] and other["removed"] == []


def test_a_worker_starting_later_loads_the_stored_cut_brought_up_to_date(
        app: Flask, small_areas: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cut is stored beside the search index; a worker starting later loads it instead of
    cutting the directory again (21 s at a million services), then applies the changes
    since, and holds what a worker that ran all along holds. A file that fails its check,
    or a cut made for another area size, is not used."""
    cuts: list[int] = []
    real = partition.partition

    def counted(*args: Any, **kwargs: Any) -> partition.Partition:
        cuts.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(partition, "partition", counted)
    with app.test_request_context():
        areas.current()
        stored.wait_for_saves()
        index_file = stored.path_for()
        assert index_file is not None and len(cuts) == 1
        kept = index_file.with_name(index_file.name + stored.AREAS_SUFFIX)
        assert kept.exists()
        user = editor_user()
        ids = in_area(app, area_of(get_json(app, "/en/offline/areas.json"), "fresno"))
        save(app, user, db.session.get(Service, ids[0]), name="Quillwort Fresno Refuge")
        gone = db.session.get(Service, ids[1])
        assert gone is not None
        assert services.retire(gone.id, gone.revision, user).ok
        db.session.commit()
        running = areas.current()  # the worker that ran all along: moved change by change
        assert len(cuts) == 1

        monkeypatch.setattr(areas, "_held", {})  # a worker starting now
        later = areas.current()
        assert len(cuts) == 1  # loaded, not cut again
        assert (later.epoch, later.seq) == (running.epoch, running.seq)
        assert later.parts.area_of == running.parts.area_of and ids[1] not in later.where
        assert later.members == running.members and later.touched == running.touched
        assert any(sid == ids[1] for _seq, sid, _area in later.left)

        raw = bytearray(kept.read_bytes())
        raw[-1] ^= 1
        kept.write_bytes(bytes(raw))
        monkeypatch.setattr(areas, "_held", {})
        assert areas.current().parts.area_of == running.parts.area_of
        assert len(cuts) == 2  # the altered file was not used
        stored.wait_for_saves()
        monkeypatch.setattr(partition, "MOST", SMALL + 10)
        monkeypatch.setattr(areas, "_held", {})
        areas.current()
        assert len(cuts) == 3  # a cut for 20 services an area is not one for 30
