"""Campaign short links printed in QR codes; scans counted per day in aggregate only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class Campaign(db.Model):  # type: ignore[name-defined,misc]
    """A short code (/p/<code>) and the Haven page it opens."""

    __tablename__ = "campaign"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(200))  # a path on this site, e.g. /es/tip
    created: Mapped[dt.date] = mapped_column(Date)
    # The member organisation whose staff made it: only they see its name and scan counts.
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), default=1,
                                           server_default=text("1"), index=True)


class CampaignDay(db.Model):  # type: ignore[name-defined,misc]
    """How many times a code was opened on one day: no time, no address, no user agent."""

    __tablename__ = "campaign_day"
    code: Mapped[str] = mapped_column(ForeignKey("campaign.code", ondelete="CASCADE"),
                                      primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    scans: Mapped[int] = mapped_column(Integer, default=0)
