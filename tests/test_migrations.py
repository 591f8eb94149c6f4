"""Migrations carry a populated directory both ways (0008 rebuilds the search and link
tables: search_token -> search_doc, and tables without rowid on SQLite; 0010 moves the
open-now slots from open_slot into search_doc)."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, text

from webapp.extensions import db
from webapp.models import (
    Language,
    Location,
    Organization,
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


def test_0011_keeps_ids_in_lower_case_and_uuids_on_postgresql(any_app: Flask) -> None:
    """0011 turns the HSDS id columns into PostgreSQL's uuid type (16 bytes) and writes the
    ids in lower case on SQLite, references included; and back down again."""
    org, loc = "AB0C1D2E-0000-4000-8000-00000000000A", "AB0C1D2E-0000-4000-8000-00000000000B"
    with any_app.app_context():
        db.session.remove()
        downgrade(revision="0010")
        db.session.execute(text("INSERT INTO organization (id, name, description) "
                                "VALUES (:i, 'Upper', '')"), {"i": org})
        db.session.execute(text("INSERT INTO location (id, organization_id, location_type, "
                                "confidential) VALUES (:i, :o, 'physical', false)"),
                           {"i": loc, "o": org})
        db.session.commit()
        db.session.remove()
        upgrade()
        db.session.remove()
        got = db.session.execute(select(Location.id, Location.organization_id)
                                 .where(Location.id == loc.lower())).one()
        assert tuple(got) == (loc.lower(), org.lower())
        assert db.session.scalar(select(Organization.name)
                                 .where(Organization.id == org.lower())) == "Upper"
        types = dict(db.session.execute(text(
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns"
            " WHERE column_name IN ('id', 'service_id', 'organization_id')")).all()) \
            if db.engine.dialect.name == "postgresql" else {}
        if types:
            assert types["service.id"] == types["language.service_id"] == "uuid"
            assert types["staff_user.organization_id"] == types["location.id"] == "uuid"
            assert types["tip.id"] != "uuid"  # not an HSDS id
        db.session.remove()
        downgrade(revision="0010")
        db.session.remove()
        assert db.session.scalar(text("SELECT organization_id FROM location WHERE id = :i"),
                                 {"i": loc.lower()}) == org.lower()
        db.session.remove()
        upgrade()


def test_0014_gives_existing_campaigns_to_member_1_and_goes_down_and_up(any_app: Flask) -> None:
    """A campaign made before 0014 belongs to member 1 (the only member there was); down and
    up again keeps the campaign and its counts."""
    from webapp.models import Campaign, CampaignDay
    from webapp.posters import campaigns

    with any_app.app_context():
        camp = campaigns.create("Old poster", "/en/tip", member_id=1)
        campaigns.count_scan(camp)
        code = camp.code
        db.session.remove()
        downgrade(revision="0013")
        assert "member_id" not in {c["name"] for c in inspect(db.engine).get_columns("campaign")}
        upgrade()
        db.session.remove()
        back = db.session.get(Campaign, code)
        assert back is not None and back.member_id == 1 and back.label == "Old poster"
        assert db.session.get(CampaignDay, (code, CampaignDay.day.type.python_type.today()))
