"""PWA figures in Chromium under CPU x4 and slow 3G (400 ms RTT, 400 kbps): first visit bytes
and FCP of the home page, repeat visit offline, offline search time per query at 1k and 10k
services, bundle bytes per service, Lighthouse 12 mobile scores.

Run: PYTHONPATH=. .venv/bin/python bench/pwa_bench.py [--sizes 1000,10000] [--no-lighthouse]
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from bench.common import bench_app, import_generated, seeded_app

ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--no-first-run"]
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1024 / 8,
           "uploadThroughput": 400 * 1024 / 8}
QUERIES = ["shelter", "sheltr", "legal aid", "abogado", "محامي", "律师", "conseling", "medical",
           "Fresno", "safe haven house", "food", "immigration visa", "xyzzy"]


def serve(db_url: str, seed: bool, n: int = 0) -> tuple[Any, str]:
    if seed:
        app = seeded_app(db_url)
    else:
        app = bench_app(db_url)
        import_generated(app, n)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def wait_js(page: Any, expression: str, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > end:
            raise TimeoutError(expression)
        time.sleep(0.1)


def throttled_page(ctx: Any) -> tuple[Any, Any]:
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    return page, cdp


def fcp(page: Any) -> float:
    try:
        wait_js(page, "performance.getEntriesByName('first-contentful-paint').length > 0", 10)
    except TimeoutError:
        return -1.0
    return float(page.evaluate(
        "(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: -1})"
        ".startTime"))


def home_figures(pw: Any, base: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as profile:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium",
                                                    args=ARGS)
        page, cdp = throttled_page(ctx)
        sizes: dict[str, int] = {}
        kinds: dict[str, str] = {}
        cdp.on("Network.responseReceived",
               lambda e: kinds.__setitem__(e["requestId"], f'{e["type"]} {e["response"]["url"]}'))
        cdp.on("Network.loadingFinished",
               lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
        page.goto(base + "/en/", wait_until="load")
        first_fcp = fcp(page)
        first_bytes = sum(sizes.values())
        critical = sum(n for rid, n in sizes.items()
                       if kinds.get(rid, "").split(" ")[0] in ("Document", "Stylesheet"))
        for rid, n in sorted(sizes.items(), key=lambda x: -x[1]):
            print(f"    {n:7d} B  {kinds.get(rid, rid)}")
        # wait for the worker to save the shell (that traffic is not part of the first render)
        wait_js(page, "document.documentElement.getAttribute('data-offline-ready') === 'en'")
        ctx.set_offline(True)
        start = time.perf_counter()
        page.reload(wait_until="load")
        offline_ms = (time.perf_counter() - start) * 1000
        offline_fcp = fcp(page)
        ctx.close()
    return {"first_bytes": first_bytes, "critical": critical, "first_fcp": first_fcp,
            "offline_reload": offline_ms,
            "offline_fcp": offline_fcp}


def search_figures(pw: Any, base: str) -> dict[str, float]:
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(base + "/en/offline/search")
    cdp = ctx.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    times = page.evaluate("""async (queries) => {
        const dir = await HavenOffline.directory('/en/offline/directory.json');
        const out = [];
        for (let r = 0; r < 3; r++) for (const q of queries) {
            const t0 = performance.now();
            dir.search(HavenOffline.paramsFrom('?q=' + encodeURIComponent(q)));
            out.push(performance.now() - t0);
        }
        return out;
    }""", QUERIES)
    with page.expect_response(lambda r: r.url.endswith("directory.json")) as info:
        page.evaluate("fetch('/en/offline/directory.json', {cache: 'no-store'})")
    resp = info.value
    raw = resp.body()
    n = len(json.loads(raw)["s"])
    browser.close()
    times.sort()
    return {"median": statistics.median(times), "p95": times[round(0.95 * (len(times) - 1))],
            "bundle_gzip_per_service": len(gzip.compress(raw, 9)) / n, "services": n}


def lighthouse_pages(base: str) -> list[str]:
    """Home, a results page and a detail page, in English and Arabic."""
    import re
    import urllib.request

    with urllib.request.urlopen(base + "/en/search?q=shelter") as resp:
        detail = re.search(r'href="/en(/services/[^"]+)"', resp.read().decode())
    assert detail, "no service on the results page"
    return [f"/{lang}{path}" for lang in ("en", "ar")
            for path in ("/", "/search?q=shelter", detail.group(1))]


def lighthouse(base: str, path: str = "/en/") -> dict[str, float]:
    out = subprocess.run(
        ["npx", "-y", "lighthouse@12", base + path, "--quiet", "--output=json",
         "--only-categories=performance,accessibility,best-practices", "--form-factor=mobile",
         "--chrome-flags=--headless=new --no-sandbox --disable-dev-shm-usage"],
        env={**__import__("os").environ, "CHROME_PATH": "/usr/bin/chromium"},
        capture_output=True, text=True, timeout=600, check=True)
    cats = json.loads(out.stdout)["categories"]
    return {k: cats[k]["score"] for k in ("performance", "accessibility", "best-practices")}


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--no-lighthouse", action="store_true")
    a = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="haven-pwa-bench-"))
    try:
        server, base = serve(f"sqlite:///{tmp / 'seed.sqlite3'}", seed=True)
        with sync_playwright() as pw:
            home = home_figures(pw, base)
            print(f"home first visit: {home['first_bytes']:.0f} B on the wire in all, "
                  f"{home['critical']:.0f} B of it HTML+CSS (what the first render needs), FCP "
                  f"{home['first_fcp']:.0f} ms (slow 3G, CPU x4); offline repeat visit: load "
                  f"{home['offline_reload']:.0f} ms, FCP {home['offline_fcp']:.0f} ms", flush=True)
            if not a.no_lighthouse:
                for path in lighthouse_pages(base):
                    print(f"lighthouse 12 mobile {path}:", lighthouse(base, path), flush=True)
            server.shutdown()
            for n in [int(x) for x in a.sizes.split(",") if x]:
                server, base = serve(f"sqlite:///{tmp / f'g{n}.sqlite3'}", seed=False, n=n)
                fig = search_figures(pw, base)
                server.shutdown()
                print(f"{n} services: offline search median {fig['median']:.1f} ms, p95 "
                      f"{fig['p95']:.1f} ms per query (CPU x4); bundle "
                      f"{fig['bundle_gzip_per_service']:.0f} B/service gzip", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{time.strftime('%Y-%m-%d')} {platform.machine()} Python {platform.python_version()}")


if __name__ == "__main__":
    main()
