"""Campaign short links: create, resolve, count a scan (per day, in aggregate only)."""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import Campaign, CampaignDay

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes get typed from paper


def create(label: str, target: str, member_id: int) -> Campaign:
    """A new campaign of one member organisation, with a fresh 6-character code; commit."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(6))
        if db.session.get(Campaign, code) is None:
            break
    camp = Campaign(code=code, label=label, target=target, created=dt.date.today(),
                    member_id=member_id)
    db.session.add(camp)
    db.session.commit()
    return camp


def resolve(code: str) -> Campaign | None:
    """The campaign behind a code, if any."""
    return db.session.get(Campaign, code[:16].lower())


def opens(camp: Campaign) -> str:
    """What a campaign's code opens, as a poster target: "home", "tip" or a category code."""
    parts = urlsplit(camp.target)
    if parts.path.endswith("/tip"):
        return "tip"
    category = parse_qs(parts.query).get("category")
    return category[0] if category else "home"


def count_scan(camp: Campaign, today: dt.date | None = None) -> None:
    """Add one to today's count (no time, address or user agent is kept); commit."""
    day = today or dt.datetime.now(dt.UTC).date()
    stmt = (update(CampaignDay).where(CampaignDay.code == camp.code, CampaignDay.day == day)
            .values(scans=CampaignDay.scans + 1))
    if db.session.execute(stmt).rowcount == 0:  # type: ignore[attr-defined]
        db.session.add(CampaignDay(code=camp.code, day=day, scans=1))
        try:
            db.session.commit()
            return
        except IntegrityError:  # another worker inserted the row first
            db.session.rollback()
            db.session.execute(stmt)
    db.session.commit()


def totals(member_id: int, days: int = 30
           ) -> list[tuple[Campaign, int, list[tuple[dt.date, int]]]]:
    """One member organisation's campaigns, each with its total and its last `days` days
    (another member's campaign names and counts are theirs)."""
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)
    out = []
    for camp in db.session.scalars(select(Campaign).where(Campaign.member_id == member_id)
                                   .order_by(Campaign.created.desc())):
        rows = db.session.execute(select(CampaignDay.day, CampaignDay.scans)
                                  .where(CampaignDay.code == camp.code)
                                  .order_by(CampaignDay.day)).all()
        total = sum(n for _d, n in rows)
        out.append((camp, total, [(d, n) for d, n in rows if d >= since]))
    return out
