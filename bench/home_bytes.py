"""Home page first-visit bytes for every locale, as served to a browser taking gzip only and to
one taking Brotli too (as Chromium does). Prints them.

Run: .venv/bin/python bench/home_bytes.py   (uses a temporary seeded SQLite database)
"""

from __future__ import annotations

import platform
import re
import tempfile
from pathlib import Path

from bench.common import seeded_app
from webapp.i18n import LOCALES


def main() -> None:
    """Fetch /<locale>/ and every same-origin asset it references, in each coding."""
    with tempfile.TemporaryDirectory() as tmp:
        app = seeded_app(f"sqlite:///{Path(tmp) / 'b.sqlite3'}")
        client = app.test_client()
        rows = []
        for loc in LOCALES:
            html = client.get(f"/{loc.tag}/").get_data(as_text=True)
            assets = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html)))
            sizes = []
            for accept in ("gzip", "gzip, deflate, br, zstd"):
                headers = {"Accept-Encoding": accept}
                page = client.get(f"/{loc.tag}/", headers=headers)
                total = len(page.data)
                for url in assets:
                    asset = client.get(url, headers=headers)
                    total += len(asset.data)
                    asset.close()
                sizes += [len(page.data), total]
            rows.append((loc.tag, *sizes))
    for tag, gz_page, gz_total, br_page, br_total in rows:
        print(f"{tag:8} gzip: html {gz_page:6d} B, with assets {gz_total:6d} B   "  # noqa: T201
              f"brotli: html {br_page:6d} B, with assets {br_total:6d} B")
    worst = max(r[4] for r in rows)
    print(f"worst first visit: {worst} B compressed (target <= 14336 B); "  # noqa: T201
          f"machine: {platform.machine()} {platform.python_version()}")


if __name__ == "__main__":
    main()
