"""Migrations carry a populated directory both ways (0008 rebuilds the search and link
tables: search_token -> search_doc, and tables without rowid on SQLite; 0010 moves the
open-now slots from open_slot into search_doc)."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from webapp.extensions import db
from webapp.models import (
    Language,
    Phone,
    Schedule,
    SearchDoc,
    SearchVocab,
    service_terms,
)
from webapp.search import memindex, search, search_sql

QUERIES = ["shelter", "legal aid", "abogado", "medcal", "مأوى", "counselling fresno"]


def picture() -> dict[str, Any]:
    """What the search and the link tables hold now."""
    memindex._held.clear()
    out: dict[str, Any] = {
        "vocab": dict(db.session.execute(select(SearchVocab.token, SearchVocab.df)).all()),
        "docs": dict(db.session.execute(select(SearchDoc.service_id, SearchDoc.tokens)).all()),
        "languages": sorted(db.session.execute(select(Language.service_id, Language.id,
                                                      Language.code)).all()),
        "slots": dict(db.session.execute(select(SearchDoc.service_id, SearchDoc.slots)
                                         .where(SearchDoc.slots != "{}")).all()),
        "terms": db.session.scalar(select(func.count()).select_from(service_terms)),
        "phones": sorted(db.session.execute(select(Phone.service_id, Phone.id, Phone.number,
                                                   Phone.position)).all()),
        "schedules": sorted(db.session.execute(select(Schedule.service_id, Schedule.id,
                                                      Schedule.byday, Schedule.opens_at)).all()),
    }
    for q in QUERIES:
        p = search.Params(q=q)
        out[q] = (search.search(p, home_country="US").ids,
                  search_sql.search(p, home_country="US").ids)
    return out


def test_0008_goes_down_and_up_with_the_data(any_app: Flask) -> None:
    with any_app.app_context():
        before = picture()
        assert before["docs"] and before["languages"] and before["slots"] and before["phones"]
        assert all(ids and ids == sql for ids, sql in (before[q] for q in QUERIES[:3]))
        db.session.remove()
        downgrade(revision="0007")
        tables = inspect(db.engine).get_table_names()
        assert "search_token" in tables and "search_doc" not in tables
        upgrade()
        db.session.remove()
        after = picture()
    # JSON objects may list their tokens in another order after the round trip
    after["docs"] = {k: json.loads(v) for k, v in after["docs"].items()}
    before["docs"] = {k: json.loads(v) for k, v in before["docs"].items()}
    assert after == before
