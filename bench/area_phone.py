"""A phone keeping a big directory by area, in Chromium (issue #17): the bytes it downloads for
a first visit, for one town's area after a town search, and for the next visit after an edit
elsewhere or in its area; then offline search time over two kept areas with the CPU slowed 4x.

Run: PYTHONPATH=. .venv/bin/python bench/area_phone.py [--services 100000] [--regions 40]

Bytes are response bodies as the server sends them (Brotli or gzip, as Chromium takes them),
counted at the server for every request of the page and of its service worker; headers are
not counted.
"""

from __future__ import annotations

import platform
import statistics
import threading
import time
from collections.abc import Iterable
from typing import Any

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from bench.area_bytes import rename
from bench.common import regional_directory
from bench.pwa_bench import ARGS, QUERIES, wait_js

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


class Counted:
    """The app, counting the bytes of each response body it sends."""

    def __init__(self, wsgi: Any) -> None:
        self.wsgi = wsgi
        self.sent: list[tuple[str, int]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = self.wsgi(environ, start_response)
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        query = environ.get("QUERY_STRING")
        self.sent.append((environ["PATH_INFO"] + (f"?{query}" if query else ""), len(data)))
        return [data]

    def since(self, mark: int, within: str = "") -> int:
        return sum(n for path, n in self.sent[mark:] if within in path)


def main() -> None:
    with regional_directory("haven-area-phone-", 40) as (app, args):
        app.config["HAVEN_OFFLINE_AREAS"] = "auto"  # by area: more than one area's worth
        counted = Counted(app.wsgi_app)
        app.wsgi_app = counted  # type: ignore[method-assign]
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        started = time.perf_counter()
        app.test_client().get("/en/offline/areas.json")  # a warm worker, as in production
        print(f"worker warmed (index and areas) in {time.perf_counter() - started:.1f} s")
        counted.sent.clear()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            ctx = browser.new_context(service_workers="allow", bypass_csp=True, **PHONE)
            page = ctx.new_page()
            page.goto(base + "/en/")
            home = counted.since(0)
            wait_js(page, "document.documentElement.getAttribute('data-offline-ready') === 'en'")
            shell = counted.since(0)
            print(f"first visit: /en/ and what it loads {home} B; with the shell the worker "
                  f"saves {shell} B")
            for path, n in sorted(counted.sent, key=lambda x: -x[1])[:6]:
                print(f"    {n:8d} B  {path}")
            mark = len(counted.sent)
            town = f"Town%20{min(7, args.regions - 1):03d}"
            page.goto(base + f"/en/search?q=shelter&near={town}")
            wait_js(page, "document.documentElement.getAttribute('data-area-kept')")
            kept = page.get_attribute("html", "data-area-kept") or ""
            print(f"town search: {counted.since(mark)} B, of which the area "
                  f"{counted.since(mark, '/offline/areas/')} B; ready offline for one area "
                  f"after a town search: {counted.since(0)} B in all")
            ctx.set_offline(True)
            page.goto(base + "/en/search?q=legal")
            page.wait_for_selector("[data-offline=search][data-ready='1']")
            print(f"offline, 'legal': {page.inner_text('.total')}; "
                  f"{page.inner_text('#areas-covered')}")
            ctx.set_offline(False)
            mine = kept.rsplit("/", 1)[1].removesuffix(".json")
            index = app.test_client().get("/en/offline/areas.json").json
            other = next(a["id"] for a in index["areas"] if a["id"] != mine)
            for where, area in (("another area", other), ("its own area", mine)):
                file = app.test_client().get(f"/en/offline/areas/{area}.json").json
                rename(app, file["s"][0][0], f"Quillwort {where.title()}")
                mark = len(counted.sent)
                page.goto(base + "/en/offline/search?q=quillwort")
                page.wait_for_selector("[data-offline=search][data-ready='1']")
                print(f"next visit after one edit in {where}: updates "
                      f"{counted.since(mark, '/offline/areas')} B (the area list and the "
                      f"changes); the visit in all {counted.since(mark)} B")
            # Two areas kept: search them offline with the CPU slowed 4x.
            page.goto(base + "/en/offline/search?q=shelter")
            page.wait_for_selector("[data-offline=search][data-ready='1']")
            page.evaluate("document.getElementById('areas').open = true")
            page.select_option("#area-add", other)
            page.click("#area-keep")
            page.wait_for_selector("#areas-kept li:nth-child(2)", state="attached")
            page.wait_for_selector("[data-offline=search][data-ready='1']")
            ctx.set_offline(True)
            cdp = ctx.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            result = page.evaluate("""async (queries) => {
                const dir = await HavenOffline.directory(
                    document.querySelector('[data-offline=search]'));
                const out = [];
                for (let r = 0; r < 3; r++) for (const q of queries) {
                    const t0 = performance.now();
                    dir.search(HavenOffline.paramsFrom('?q=' + encodeURIComponent(q)));
                    out.push(performance.now() - t0);
                }
                return {times: out, services: dir.d.s.length};
            }""", QUERIES)
            times = sorted(result["times"])
            print(f"offline search over {result['services']} kept services, CPU x4: median "
                  f"{statistics.median(times):.1f} ms, p95 "
                  f"{times[round(0.95 * (len(times) - 1))]:.1f} ms")
            browser.close()
        server.shutdown()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
