"""Search semantics, run from the shared vectors on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.search_vectors import ORACLE_EXTRAS, VECTORS
from webapp.directory import geo, taxonomy
from webapp.directory.queries import load_services
from webapp.extensions import db
from webapp.models import Service
from webapp.search import search, search_sql, text

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres


def run(app: Flask, q: str, params: dict[str, str]) -> tuple[search.Result, list[Any]]:
    with app.test_request_context():
        p = search.parse(MultiDict({"q": q, "per_page": "50", **params}))
        res = search.search(p, home_country="US")
        services = load_services(res.ids)
        for s in services:  # load what the checks read before the session closes
            _ = [t.code for t in s.terms], [lang.code for lang in s.languages]
            _ = [sal.location.city for sal in s.locations]
        return res, services


def check(vector: dict[str, Any], res: search.Result, services: list[Any]) -> None:
    exp = vector["expect"]
    codes = [{t.code for t in s.terms} for s in services]
    if "top_category" in exp:
        top = codes[: exp["top_n"]]
        assert len(top) == exp["top_n"], f"{vector['q']!r}: only {len(top)} results"
        assert all(exp["top_category"] in c for c in top), (vector["q"], [s.name for s in
                                                                        services[:5]])
    if "all_category" in exp:
        assert all(exp["all_category"] in c for c in codes)
    if exp.get("all_always_open"):
        assert all(s.always_open for s in services)
    if exp.get("all_free"):
        assert all(s.free for s in services)
    if "all_language" in exp:
        assert all(exp["all_language"] in {lang.code for lang in s.languages} for s in services)
    if "min_total" in exp:
        assert res.total >= exp["min_total"]
    if "max_total" in exp:
        assert res.total <= exp["max_total"]
    if "first_name" in exp:
        assert services and services[0].name == exp["first_name"], [s.name for s in services[:3]]
    # Near a point, the home country's national lines (a hotline or emergency number with
    # no place) come first: they serve every place. Then the rest, nearest first.
    placed = [s for s in services if s.id in res.distances]
    lines = services[:len(services) - len(placed)]
    if "first_city" in exp:
        assert placed[0].locations[0].location.city == exp["first_city"]
    if exp.get("sorted_by_distance"):
        assert services[len(lines):] == placed  # every national line before any place
        assert all(not s.locations and s.country == "US"
                   and codes[i] & {"hotline", "emergency"} for i, s in enumerate(lines))
        d = [res.distances[s.id] for s in placed]
        assert d == sorted(d)
        assert len(d) >= 2
    if "national_lines_first" in exp:
        assert {s.name for s in lines} >= set(exp["national_lines_first"]), [
            s.name for s in lines]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['q'] or '-'}|{v['params']}")
def test_shared_vectors_sqlite(app: Flask, vector: dict[str, Any]) -> None:
    """Every shared vector holds on the default backend."""
    res, services = run(app, vector["q"], vector["params"])
    check(vector, res, services)


def test_same_results_on_sqlite_and_postgresql(any_app: Flask, request: pytest.FixtureRequest,
                                               templates: Any) -> None:
    """Every vector gives identical ids, order and totals on both backends."""
    from tests.conftest import make_app

    other = make_app("postgresql" if "sqlite" in any_app.config["SQLALCHEMY_DATABASE_URI"]
                     else "sqlite", templates, request)
    for vector in VECTORS:
        a, _ = run(any_app, vector["q"], vector["params"])
        b, _ = run(other, vector["q"], vector["params"])
        assert (a.ids, a.total) == (b.ids, b.total), vector
        check(vector, *run(any_app, vector["q"], vector["params"]))


def test_open_now_uses_each_services_zone(any_app: Flask) -> None:
    """Weekday 9-17 Los Angeles services are open at 10:00 PT and closed at 10:00 UTC; the
    SQL engine reads the same slots out of search_doc's JSON."""
    with any_app.test_request_context():
        p = search.parse(MultiDict({"open_now": "1", "per_page": "100", "category": "medical"}))
        la_morning = dt.datetime(2026, 11, 18, 18, 0, tzinfo=dt.UTC)  # Wed 10:00 in LA
        la_night = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.UTC)  # Wed 02:00 in LA
        open_ids = set(search.search(p, now=la_morning).ids)
        night_ids = set(search.search(p, now=la_night).ids)
        assert open_ids - night_ids, "weekday clinics should open in the LA morning only"
        for when, ids in ((la_morning, open_ids), (la_night, night_ids)):
            assert set(search_sql.search(p, now=when).ids) == ids
        for s in load_services(list(night_ids)):
            assert s.always_open


@pytest.mark.parametrize(
    ("args", "param"),
    [({"category": "spaceships"}, "category"), ({"page": "x"}, "page"),
     ({"near": "x" * 101}, "near"), ({"q": "a" * 201}, "q"), ({"free": "maybe"}, "free"),
     ({"q": "a\x00b"}, "q"), ({"per_page": "1000"}, "per_page"),
     ({"modified_after": "yesterday"}, "modified_after")],
)
def test_bad_parameters_name_themselves(app: Flask, args: dict[str, str], param: str) -> None:
    """Unknown filters are refused with the parameter's name, as a 400 page."""
    with app.test_request_context():
        with pytest.raises(search.BadQuery) as info:
            search.parse(MultiDict(args))
    assert info.value.param == param
    resp = app.test_client().get("/en/search", query_string=args)
    assert resp.status_code == 400
    assert param.encode() in resp.data


def test_folding_rules() -> None:
    """Case, accents, Arabic forms and tashkeel fold; Devanagari signs survive."""
    assert text.tokens("ÁBOGADO") == ["abogado"]
    assert text.tokens("مَأْوَى") == text.tokens("ماوي")
    assert text.tokens("المحامي") == text.tokens("محامي")
    assert text.tokens("مدرسة") == text.tokens("مدرسه")
    assert text.tokens("वकील") == ["वकील"]
    assert text.tokens("我需要律师") == ["我需", "需要", "要律", "律师"]
    assert text.edit_distance("conseling", "counselling", 2) == 2


def test_coarse_point_is_about_a_kilometre() -> None:
    """A confidential point moves to a grid of ~1.1 km and never stays exact."""
    lat, lng = 36.74123, -119.78456
    c = geo.coarse_point(lat, lng)
    assert c == (36.74, -119.78)
    assert geo.planar_km(lat, lng, *c) < 1.0


def test_memory_index_matches_the_sql_engine(any_app: Flask) -> None:
    """The in-memory index answers every vector (and more) exactly as SQL over search_doc."""
    cases = [(v["q"], v["params"]) for v in VECTORS] + ORACLE_EXTRAS
    now = dt.datetime(2026, 11, 18, 18, 0, tzinfo=dt.UTC)
    with any_app.test_request_context():
        orgs = db.session.scalars(select(Service.organization_id).distinct()
                                  .where(Service.organization_id.is_not(None))
                                  .order_by(Service.organization_id).limit(3)).all()
        cases += [("", {"organization_id": ",".join(str(o) for o in orgs)}),
                  ("help", {"organization_id": str(orgs[0])}),
                  ("", {"taxonomy_id": taxonomy.taxonomy_id(taxonomy.POPULATIONS)}),
                  ("legal", {"taxonomy_id": taxonomy.taxonomy_id(taxonomy.CATEGORIES),
                             "per_page": "100"})]
        for q, params in cases:
            p = search.parse(MultiDict({"q": q, **params}))
            for home in ("", "US", "GB"):
                mem = search.search(p, home_country=home, now=now)
                sql = search_sql.search(p, home_country=home, now=now)
                assert (mem.ids, mem.total, mem.matched_categories) == \
                    (sql.ids, sql.total, sql.matched_categories), (q, params, home)
                assert mem.distances == pytest.approx(sql.distances)
