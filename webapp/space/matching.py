"""Space requests between member organisations. Never touches the request.

A request describes a household (type, populations, languages, needs, children's ages as
ranges), its urgency and an area, and never a person: the form has no name, phone or birth
date, and free text carrying a phone number or an e-mail address is refused. It reaches every
matching shelter's inbox; the first shelter to accept holds the place (90 minutes by default)
and the requester gets its intake phone; the others see it as filled. After 30 days the request
is purged, leaving its week and outcome for the statistics.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select, update

from webapp import clock
from webapp.extensions import db
from webapp.models import (
    Location,
    Member,
    Service,
    ServiceAtLocation,
    SpaceAnswer,
    SpaceOutcome,
    SpaceRequest,
    TaxonomyTerm,
)
from webapp.models.coalition import (
    CHILD_AGES,
    HOUSEHOLDS,
    NEEDS,
    POPULATIONS,
    URGENCIES,
)
from webapp.space import services as space

KEEP = dt.timedelta(days=30)
# A phone number: seven or more digits (any script) with the separators people type.
PHONE = re.compile(r"\+?\d(?:[\s\-./()]*\d){6,}")
EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
AREA_WORDS = re.compile(r"\w+")


class RequestError(ValueError):
    """A request or an answer was refused; `code` says why (the route words it)."""

    def __init__(self, code: str, field: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.field = field


def _ascii_digits(text: str) -> str:
    """Digits of any script as ASCII, so "٠٧٩١..." is seen as a number too."""
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch
                   for ch in text)


def personal_data(text: str) -> str | None:
    """'phone' or 'email' when free text carries one, else None."""
    plain = _ascii_digits(unicodedata.normalize("NFKC", text))
    if EMAIL.search(plain):
        return "email"
    if PHONE.search(plain):
        return "phone"
    return None


@dataclass
class Household:
    """What a request says about who needs a place (codes, plus two short free texts)."""

    household: str
    populations: list[str]
    languages: list[str]
    needs: list[str]
    child_ages: list[str]
    urgency: str
    area: str = ""
    details: str = ""

    def check(self) -> None:
        """RequestError naming the first thing wrong; nothing is stored before this passes."""
        if self.household not in HOUSEHOLDS:
            raise RequestError("choice", "household")
        if self.urgency not in URGENCIES:
            raise RequestError("choice", "urgency")
        for name, values, allowed in (("populations", self.populations, POPULATIONS),
                                      ("needs", self.needs, NEEDS),
                                      ("child_ages", self.child_ages, CHILD_AGES)):
            if any(v not in allowed for v in values):
                raise RequestError("choice", name)
        if not self.populations:
            raise RequestError("populations", "populations")
        if any(not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", lang)
               for lang in self.languages):
            raise RequestError("choice", "languages")
        for name, text, most in (("area", self.area, 80), ("details", self.details, 400)):
            if len(text) > most:
                raise RequestError("too_long", name)
            found = personal_data(text)
            if found:
                raise RequestError(found, name)


def _in_area(area: str, places: list[tuple[str | None, str | None]]) -> bool:
    words = [w.casefold() for w in AREA_WORDS.findall(area)]
    if not words:
        return True
    for city, region in places:
        text = f"{city or ''} {region or ''}".casefold()
        if all(w in text for w in words):
            return True
    return False


def matching(h: Household, at: dt.datetime) -> list[tuple[str, int]]:
    """(service id, member id) of the shelter listings that may take this household: run by a
    shelter member, not full now, taking every population asked for (when they said) and in
    the area (when one is given). Languages and needs do not filter: the shelter reads them
    and decides (an interpreter can be found; a bed tonight cannot wait for a perfect match).
    """
    members = db.session.execute(select(Member.id, Member.organization_id).where(
        Member.kind == "shelter", Member.organization_id.is_not(None))).all()
    by_org = {org: mid for mid, org in members}
    if not by_org:
        return []
    rows = db.session.execute(
        select(Service.id, Service.organization_id)
        .where(Service.organization_id.in_(list(by_org)),
               Service.terms.any(TaxonomyTerm.code == "shelter"))).all()
    ids = [sid for sid, _org in rows]
    spaces = space.of_services(ids)
    places: dict[str, list[tuple[str | None, str | None]]] = {}
    for sid, city, region in db.session.execute(
            select(ServiceAtLocation.service_id, Location.city, Location.region)
            .join(Location, Location.id == ServiceAtLocation.location_id)
            .where(ServiceAtLocation.service_id.in_(ids))):
        places.setdefault(sid, []).append((city, region))
    out = []
    for sid, org in rows:
        seen = space.view(spaces.get(sid), at)
        if seen is not None and seen.status == "full":
            continue
        if seen is not None and seen.status != "unknown" and seen.populations and not set(
                h.populations) <= set(seen.populations):
            continue
        if h.area and not _in_area(h.area, places.get(sid, [])):
            continue
        out.append((sid, by_org[org]))
    return out


def create(member_id: int, staff_id: int | None, h: Household,
           at: dt.datetime | None = None) -> SpaceRequest:
    """Check, match and store a request with one pending answer per matching shelter; commit.
    """
    h.check()
    at = at or clock.now()
    purge(at)
    req = SpaceRequest(
        id=secrets.token_hex(16), member_id=member_id, staff_id=staff_id,
        household=h.household, populations=",".join(h.populations),
        languages=",".join(h.languages), needs=",".join(h.needs),
        child_ages=",".join(h.child_ages), urgency=h.urgency, area=h.area.strip(),
        details=h.details.strip(), state="open", created_at=at,
        open_until=at + dt.timedelta(hours=current_app.config["HAVEN_SPACE_REQUEST_HOURS"]))
    req.answers = [SpaceAnswer(service_id=sid, member_id=mid, answer="pending")
                   for sid, mid in matching(h, at)]
    db.session.add(req)
    db.session.commit()
    return req


def state(req: SpaceRequest, at: dt.datetime | None = None) -> str:
    """open, held, hold_expired, unmet or cancelled, as of now."""
    at = at or clock.now()
    if req.state == "held":
        return "held" if req.held_until and at < req.held_until else "hold_expired"
    if req.state == "open" and at >= req.open_until:
        return "unmet"
    return req.state


def answer(req: SpaceRequest, service_id: str, member_id: int, accept: bool,
           at: dt.datetime | None = None) -> None:
    """A shelter's answer; the first accept holds the place, atomically; commit.
    RequestError('filled') when another shelter was first or the request is no longer open."""
    at = at or clock.now()
    mine = next((a for a in req.answers if a.service_id == service_id
                 and a.member_id == member_id), None)
    if mine is None:
        raise RequestError("not_yours")
    if mine.answer != "pending":
        raise RequestError("answered")
    if not accept:
        mine.answer, mine.answered_at = "declined", at
        db.session.commit()
        return
    hold = dt.timedelta(minutes=current_app.config["HAVEN_SPACE_HOLD_MINUTES"])
    won = db.session.execute(
        update(SpaceRequest).where(SpaceRequest.id == req.id, SpaceRequest.state == "open",
                                   SpaceRequest.open_until > at)
        .values(state="held", held_service_id=service_id, held_member_id=member_id,
                accepted_at=at, held_until=at + hold)).rowcount  # type: ignore[attr-defined]
    if won != 1:
        db.session.rollback()
        raise RequestError("filled")
    db.session.execute(update(SpaceAnswer).where(
        SpaceAnswer.request_id == req.id, SpaceAnswer.service_id == service_id)
        .values(answer="accepted", answered_at=at))
    db.session.execute(update(SpaceAnswer).where(
        SpaceAnswer.request_id == req.id, SpaceAnswer.service_id != service_id,
        SpaceAnswer.answer == "pending").values(answer="filled"))
    db.session.commit()
    db.session.refresh(req)


def cancel(req: SpaceRequest) -> None:
    """The requester no longer needs the place; commit."""
    if req.state in ("open", "held"):
        req.state = "cancelled"
        db.session.commit()


def inbox(member_id: int, at: dt.datetime | None = None
          ) -> list[tuple[SpaceRequest, SpaceAnswer]]:
    """Requests that reached this member's shelters, newest first."""
    purge(at or clock.now())
    return [(r, a) for r, a in db.session.execute(
        select(SpaceRequest, SpaceAnswer).join(SpaceAnswer)
        .where(SpaceAnswer.member_id == member_id)
        .order_by(SpaceRequest.created_at.desc(), SpaceRequest.id).limit(200))]


def sent(member_id: int) -> list[SpaceRequest]:
    """Requests this member sent, newest first."""
    return list(db.session.scalars(select(SpaceRequest).where(SpaceRequest.member_id
                                                              == member_id)
                                   .order_by(SpaceRequest.created_at.desc()).limit(200)))


def week_of(at: dt.datetime) -> dt.date:
    """The Monday of at's week."""
    return (at - dt.timedelta(days=at.weekday())).date()


def minutes_to_accept(req: SpaceRequest) -> int | None:
    """Minutes from the request to the accept that held a place (None: never accepted)."""
    if req.accepted_at is None:
        return None
    return int((req.accepted_at - req.created_at).total_seconds() // 60)


def purge(at: dt.datetime) -> int:
    """Delete requests older than 30 days, keeping only their week and outcome; returns how
    many; the caller's transaction commits (create and inbox do)."""
    old = db.session.scalars(select(SpaceRequest).where(SpaceRequest.created_at < at - KEEP)
                             ).all()
    for req in old:
        db.session.add(SpaceOutcome(week=week_of(req.created_at),
                                    accepted=req.accepted_at is not None,
                                    minutes_to_accept=minutes_to_accept(req)))
    if old:
        db.session.execute(delete(SpaceAnswer).where(
            SpaceAnswer.request_id.in_([r.id for r in old])))
        db.session.execute(delete(SpaceRequest).where(
            SpaceRequest.id.in_([r.id for r in old])))
        db.session.commit()
    return len(old)
