"""What a phone downloads to keep one area offline, and to keep it current (issue #17).

Run: PYTHONPATH=. .venv/bin/python bench/area_bytes.py [--services 100000] [--regions 50]

Generates the services across regions far apart (bench/gen_services.py), imports them into a
throwaway SQLite database, and fetches as a phone would, gzip accepted: the area index, the
area of one town, the whole bundle (for comparison), then the answer to ?since= after one edit
in another area and after one edit in the phone's own area. Bytes are response bodies as
sent (gzip where the server compresses); headers are not counted.
"""

from __future__ import annotations

import platform
import statistics
import time
from typing import Any

from flask import Flask
from sqlalchemy import select

from bench.common import regional_directory
from webapp.editor import services, snapshot
from webapp.extensions import db
from webapp.models import Service, StaffUser
from webapp.staff import auth

GZIP = {"Accept-Encoding": "gzip"}


def fetch(app: Flask, url: str, **headers: str) -> tuple[int, Any, float]:
    """(bytes sent, parsed JSON or None, seconds) for one GET."""
    client = app.test_client()
    started = time.perf_counter()
    resp = client.get(url, headers={**GZIP, **headers})
    took = time.perf_counter() - started
    sent = len(resp.get_data())
    parsed = client.get(url, headers=headers).json if resp.status_code == 200 else None
    return sent, parsed, took


def rename(app: Flask, service_id: str, name: str) -> None:
    """One edit through the editor, as staff make it."""
    with app.test_request_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "bench"))
        if user is None:
            auth.create_user("bench", "a-long-enough-password", "editor")
            user = db.session.scalar(select(StaffUser).where(StaffUser.username == "bench"))
        svc = db.session.get(Service, service_id)
        assert svc is not None
        assert user is not None
        out = services.save(svc.id, {**snapshot.of(svc), "name": name}, svc.revision, user,
                            app.config["HSDS_SCHEMA_DIR"])
        assert out.ok, out
        db.session.commit()


def main() -> None:
    with regional_directory("haven-area-bench-", 50) as (app, args):
        size, index, t_index = fetch(app, "/en/offline/areas.json")
        counts = [a["services"] for a in index["areas"]]
        print(f"areas: {len(counts)}; services per area min {min(counts)}, median "
              f"{statistics.median(counts):.0f}, max {max(counts)}")
        print(f"area index: {size} B gzip (first answer {t_index:.1f} s)")
        town = "town 007"
        mine = index["towns"][town][0]
        other = next(a["id"] for a in index["areas"]
                     if a["id"] != mine and a["services"] > 100)
        size_area, area, t_area = fetch(app, f"/en/offline/areas/{mine}.json")
        _s, _a, t_again = fetch(app, f"/en/offline/areas/{mine}.json")
        print(f"area of '{town}' ({mine}, {len(area['s'])} services): {size_area} B gzip "
              f"(made in {t_area:.1f} s; cached {t_again * 1000:.0f} ms)")
        print(f"index + that area: {size + size_area} B")
        size_all, _whole, t_all = fetch(app, "/en/offline/directory.json")
        print(f"whole bundle, for comparison: {size_all} B gzip (made in {t_all:.1f} s)")
        etag = app.test_client().get(f"/en/offline/areas/{mine}.json").headers["ETag"]
        _o, other_file, _t = fetch(app, f"/en/offline/areas/{other}.json")
        rename(app, other_file["s"][0][0], "Quillwort Bench Refuge")
        sent, delta, took_delta = fetch(app, f"/en/offline/areas/{mine}.json?since={area['v']}")
        revalidate = app.test_client().get(f"/en/offline/areas/{mine}.json",
                                           headers={**GZIP, "If-None-Match": etag})
        print(f"after one edit in another area: ?since= answer {sent} B "
              f"({len(delta['changed'])} records, {len(delta['removed'])} ids; "
              f"{took_delta * 1000:.0f} ms); the area file revalidates with "
              f"{revalidate.status_code} ({len(revalidate.get_data())} B body)")
        rename(app, area["s"][0][0], "Ottervale Bench House")
        sent, delta, took_delta = fetch(app, f"/en/offline/areas/{mine}.json?since={area['v']}")
        record = len(app.test_client().get(
            f"/en/offline/areas/{mine}.json?since={area['v']}").get_data())
        print(f"after one edit in its own area: ?since= answer {sent} B "
              f"({len(delta['changed'])} record, {record} B uncompressed; "
              f"{took_delta * 1000:.0f} ms)")
        _s, _a, t_remake = fetch(app, f"/en/offline/areas/{mine}.json")
        print(f"the edited area's file made again in {t_remake:.2f} s")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
