"""Space requests in a coalition of 200 members: how long a request takes to reach 50
matching shelters' inboxes, and an accept to settle it, on SQLite and PostgreSQL, one run.

Run: PYTHONPATH=. .venv/bin/python bench/coalition_space.py [--requests 20] [--services 1000]

Each backend gets a new database with `--services` generated listings (the demo region cloned,
each listing with its own organisation), 200 member organisations (the default one, 50 shelter
members each running one generated shelter listing, 149 others of every other kind) and staff.
Everything goes through the app's real request handling (Flask test client: sign-in, CSRF,
templates, the database), without a network hop:
- request: an advocate POSTs the request form; when the answer (302) comes back, the request
  is committed with one pending answer per matching shelter. Then one shelter opens its
  inbox (timed separately) and the bench checks that all 50 shelters have it.
- accept: one shelter POSTs "accept"; when the answer comes back the place is held and the
  other 49 answers read "filled" (checked), and the requester's page shows the intake phone.
- race: 4 threads accept the same fresh request for 4 different shelters at once; exactly one
  may win (checked on each backend; SQLite serialises the writers).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import threading
import time
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from bench.common import bench_app, databases, import_generated
from tests.staff_helpers import Staff, csrf, sign_in
from webapp.extensions import db
from webapp.models import (
    Member,
    Organization,
    Service,
    SpaceAnswer,
    SpaceRequest,
    TaxonomyTerm,
)
from webapp.models.coalition import MEMBER_KINDS

SHELTERS = 50
MEMBERS = 200
NEW = "/staff/space/requests/new"


def setup(app: Flask) -> tuple[Staff, list[Staff], list[str]]:
    """200 members, 50 of them shelters with a listing each; an advocate and one reviewer per
    shelter. Returns (advocate, shelter staff, shelter service ids)."""
    from webapp.coalition import services as members
    from webapp.staff import auth

    with app.app_context():
        rows = db.session.execute(
            select(Service.id, Service.organization_id)
            .where(Service.terms.any(TaxonomyTerm.code == "shelter"))
            .order_by(Service.id).limit(SHELTERS)).all()
        assert len(rows) == SHELTERS, f"only {len(rows)} shelter listings; raise --services"
        # The generator clones the demo region's organisations with its listings, so give
        # each of these 50 shelters an organisation of its own, as real shelters have.
        for i, (sid, _org) in enumerate(rows):
            db.session.add(Organization(id=f"bench-shelter-org-{i:02d}",
                                        name=f"Bench Shelter Network {i}"))
            db.session.flush()
            db.session.get(Service, sid).organization_id = f"bench-shelter-org-{i:02d}"  # type: ignore[union-attr]
        db.session.commit()
        staff = []
        for i in range(SHELTERS):
            m = members.add(f"shelter-{i:02d}", f"Shelter {i}", "shelter",
                            f"bench-shelter-org-{i:02d}")
            _u, secret = auth.create_user(f"shelter{i:02d}", "shelter password 123", "reviewer",
                                          member_id=m.id)
            staff.append(Staff(f"shelter{i:02d}", "shelter password 123", secret))
        others = [k for k in MEMBER_KINDS if k != "shelter"]
        for i in range(MEMBERS - SHELTERS - 1):
            members.add(f"member-{i:03d}", f"Member {i}", others[i % len(others)])
        _u, secret = auth.create_user("advocate", "advocate password 1", "reviewer")
        assert db.session.scalar(select(func.count()).select_from(Member)) == MEMBERS
        return Staff("advocate", "advocate password 1", secret), staff, [r[0] for r in rows]


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), in ms."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def run(backend: str, url: str, n_services: int, n_requests: int) -> dict[str, Any]:
    app = bench_app(url)
    app.config["SESSION_COOKIE_SECURE"] = False
    imported = import_generated(app, n_services)
    advocate, shelters, service_ids = setup(app)
    asker = app.test_client()
    sign_in(asker, advocate)
    desks = []
    for who in shelters:
        c = app.test_client()
        sign_in(c, who)
        desks.append(c)
    form = {"household": "adult_with_children", "populations": ["women", "families"],
            "child_ages": ["0-4"], "languages": ["es"], "urgency": "tonight",
            "details": "arrives by bus with a stroller"}
    reach, inbox, settle = [], [], []
    for i in range(n_requests):
        token = csrf(asker, NEW)
        started = time.perf_counter()
        resp = asker.post(NEW, data={"csrf_token": token, **form})
        reach.append(time.perf_counter() - started)
        assert resp.status_code == 302, resp.status_code
        req_url = resp.headers["Location"]
        rid = req_url.rsplit("/", 1)[1]
        started = time.perf_counter()
        page = desks[i % SHELTERS].get("/staff/space/requests")
        inbox.append(time.perf_counter() - started)
        assert page.status_code == 200, page.status_code
        assert rid in page.get_data(as_text=True), page.get_data(as_text=True)[-3000:]
        with app.app_context():
            reached = db.session.scalar(select(func.count()).select_from(SpaceAnswer)
                                        .where(SpaceAnswer.request_id == rid))
        assert reached == SHELTERS, reached
        desk = desks[(i * 7) % SHELTERS]
        token = csrf(desk, req_url)
        started = time.perf_counter()
        resp = desk.post(f"{req_url}/answer", data={
            "csrf_token": token, "service_id": service_ids[(i * 7) % SHELTERS],
            "answer": "accept"})
        settle.append(time.perf_counter() - started)
        assert resp.status_code == 302, resp.status_code
        with app.app_context():
            filled = db.session.scalar(select(func.count()).select_from(SpaceAnswer).where(
                SpaceAnswer.request_id == rid, SpaceAnswer.answer == "filled"))
            held = db.session.get(SpaceRequest, rid)
        assert filled == SHELTERS - 1
        assert held is not None
        assert held.state == "held"
        assert 'id="held"' in asker.get(req_url).get_data(as_text=True)

    # The race: 4 shelters press "accept" on the same request at once.
    wins = 0
    races = 5
    for _ in range(races):
        token = csrf(asker, NEW)
        req_url = asker.post(NEW, data={"csrf_token": token, **form}).headers["Location"]
        tokens = [csrf(desks[k], req_url) for k in range(4)]
        codes: list[int] = []
        gate = threading.Barrier(4)

        def press(k: int, url: str = req_url, toks: list[str] = tokens,
                  out: list[int] = codes, barrier: threading.Barrier = gate) -> None:
            barrier.wait()
            out.append(desks[k].post(f"{url}/answer", data={
                "csrf_token": toks[k], "service_id": service_ids[k],
                "answer": "accept"}).status_code)

        threads = [threading.Thread(target=press, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes) == [302, 409, 409, 409], codes
        wins += 1
    return {"backend": backend, "services": n_services, "import_s": imported,
            "reach": reach, "inbox": inbox, "settle": settle, "races": f"{wins}/{races}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--services", type=int, default=1000)
    args = parser.parse_args()
    print(f"# {platform.machine()}, {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    with databases("haven-bench-coalition-") as new:
        for backend in ("sqlite", "postgresql"):
            r = run(backend, new(backend, "coalition"), args.services, args.requests)
            print(f"{backend}: {r['services']} services, {MEMBERS} members, {SHELTERS} "
                  f"matching shelters; request reaches 50 inboxes p50 "
                  f"{statistics.median(r['reach']) * 1000:.1f} ms p95 {pct(r['reach'], 95):.1f}"
                  f" ms; a shelter's inbox p50 {statistics.median(r['inbox']) * 1000:.1f} ms; "
                  f"accept settles p50 {statistics.median(r['settle']) * 1000:.1f} ms p95 "
                  f"{pct(r['settle'], 95):.1f} ms; races won by exactly one: {r['races']}")


if __name__ == "__main__":
    main()
